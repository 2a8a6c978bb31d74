"""The quarterly data store: SQLite by default, PostgreSQL by URL, versioned, never losing data.

Names are imported on first use, so `sanwei --help` does not pay for the scoring pipeline.
"""

from importlib import import_module

_HOME = {"NotFound": "db", "resolve_url": "db", "NewVersion": "store", "new_version": "store", "VersionDiff": "diff",
         "SCHEMA_VERSION": "schema", "SchemaError": "schema", "FileRecord": "store", "Store": "store",
         "VersionInfo": "store"}
__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name in _HOME:
        return getattr(import_module(f"scoring.store.{_HOME[name]}"), name)
    raise AttributeError(f"module 'scoring.store' has no attribute {name!r}")
