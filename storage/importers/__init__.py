"""Importers of annotated datasets (DAVIS layout, SA-V JSON) into the catalog and object store."""
