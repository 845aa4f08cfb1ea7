"""Exporters of immutable dataset versions (SA-V JSON, DAVIS PNG, COCO)."""
