"""maskloop model layer."""
