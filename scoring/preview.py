"""What an uploaded file holds, as the importer will read it: shown on the import page before validation."""

from __future__ import annotations

from typing import Any

import pandas as pd

from scoring import importer, period_hint, reader
from scoring.model import Model
from scoring.report import InputError


def preview(name: str, data: bytes, model: Model, rows: int = 20) -> dict[str, Any]:
    """What one uploaded file holds, as the importer will read it: kind, row count, first rows with
    their headers, the periods it names (`scoring.period_hint`), or the reason it cannot be read (the full report comes from `read_period`,
    which is handed the `table` read here so the file is read once)."""
    try:
        table = reader.read_table(data, name, extra_headers=importer.model_headers(model), sheet_hint=importer.SHEET_HINTS)
    except InputError as err:
        return {"name": name, "kind": None, "rows": 0, "sheet": None, "head": pd.DataFrame(),
                "error": err.report.to_frame(), "table": None, "periods": period_hint.of_file(name)}
    head = table.data.head(rows).copy()
    head.columns = [h or c for h, c in zip(table.header, table.columns, strict=True)]
    head.index = table.rows[: len(head)]
    return {"name": name, "kind": importer.detect_kind(table, model), "rows": len(table.data), "sheet": table.sheet,
            "head": head, "error": None, "table": table, "periods": importer.file_periods(table)}
