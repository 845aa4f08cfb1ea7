"""maskloop storage layer: the catalog (PostgreSQL through SQLModel), the object store (any S3) and
the formats between them. It never imports model/, ui_adapters/ or flows/.

- ``catalog/``: tables, the Catalog connection and the functions ``f(catalog, ...)`` that read and
  write it (one module per record), each write one transaction with its audit event;
- ``audit/``: the hash-chained audit trail; ``lineage/``: where a mask, video or model came from;
- ``versions/``: immutable dataset versions and their manifests;
- ``objects/``: object stores (S3, local); ``media/``: frames, sampling, hashing;
- ``masks/``: masklet blobs, RLE, DAVIS PNG, SA-V and COCO formats;
- ``importers/`` and ``exporters/``: DAVIS (davis_folder.py, the one DAVIS reader), SA-V, videos;
- ``records.py``: the typed records and enums flows/ exchanges with storage.
"""
