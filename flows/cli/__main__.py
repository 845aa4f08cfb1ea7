"""``python -m flows.cli`` runs the maskloop command."""

from flows.cli.main import main

main()
