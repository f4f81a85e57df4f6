"""The wire protocols the bundled reference server speaks.

A leaf module with no imports, so that ``occ`` can offer ``serve --platform`` choices without
importing the server package.
"""

__all__ = ["PLATFORMS"]

PLATFORMS = ("vllm", "ollama", "llamacpp")
"""The ``--platform`` values of the reference server."""
