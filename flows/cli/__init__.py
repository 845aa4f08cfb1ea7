"""maskloop command-line interface (typer): one ``*_cmd.py`` per command group, registered in
groups.py; every error of any layer is printed as one line with its exit code (errors.py)."""
