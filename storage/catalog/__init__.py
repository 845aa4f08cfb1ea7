"""The catalog: tables (tables.py), the :class:`~storage.catalog.catalog.Catalog` (the connection:
engine, sessions, each write one transaction with its audit event) and one module of functions
``f(catalog, ...)`` per component: videos, masklets, registry (models, training runs), rounds,
generation, reviews, refinement, splits, model_aliases, api_tokens. Dataset versions
(storage.versions) and the audit trail (storage.audit) follow the same pattern."""
