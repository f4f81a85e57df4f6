"""``python -m openai_compatible_client.cli`` is the ``occ`` command."""

from openai_compatible_client.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
