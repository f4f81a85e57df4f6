"""``python -m openai_compatible_client`` is the ``occ`` command."""

from openai_compatible_client.cli import main

raise SystemExit(main())
