"""The quarterly data store: SQLite by default, PostgreSQL by URL, versioned, never losing data."""

from scoring.store.db import DEFAULT_URL, NotFound, resolve_url
from scoring.store.diff import VersionDiff
from scoring.store.schema import SCHEMA_VERSION, SchemaError
from scoring.store.store import FileRecord, Store, VersionInfo

__all__ = ["DEFAULT_URL", "SCHEMA_VERSION", "FileRecord", "NotFound", "SchemaError", "Store", "VersionDiff",
           "VersionInfo", "resolve_url"]
