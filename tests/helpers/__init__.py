"""Shared test helpers (data the tests generate themselves)."""
