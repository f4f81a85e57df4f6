"""Entry point for ``python -m openai_compatible_client.server``."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
