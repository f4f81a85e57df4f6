"""The bundled reference server: vLLM and Ollama wire protocols with deterministic models.

(Full description of the deterministic models follows below once written.)
"""

from .app import ReferenceServer, build_app

__all__ = ["ReferenceServer", "build_app"]
