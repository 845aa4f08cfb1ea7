"""maskloop storage layer."""
