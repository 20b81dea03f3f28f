"""``python -m escwatch`` is the ``escwatch`` command."""

from escwatch.cli import main

main()
