"""maskloop flows layer."""
