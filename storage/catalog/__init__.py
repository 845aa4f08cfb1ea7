"""The catalog: tables (tables.py), the :class:`~storage.catalog.catalog.Catalog` (engine, sessions,
writes with their audit event in one transaction) and one module per component: videos,
masklets, registry (models, training runs, reviews), rounds, model_aliases, api_tokens."""
