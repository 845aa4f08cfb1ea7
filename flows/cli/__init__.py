"""maskloop command-line interface."""
