"""Resource limits for reading uploaded spreadsheets.

An upload box is an attack surface: every limit here bounds memory or time before the
expensive work starts, so a hostile file is refused instead of hanging or killing the process.
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1 << 20


@dataclass(frozen=True)
class Limits:
    max_upload_bytes: int = 200 * MiB       # the file as uploaded
    max_unzipped_bytes: int = 1024 * MiB    # declared uncompressed size of all xlsx parts together
    max_ratio: float = 200.0                # uncompressed/compressed size of any part over 1 MiB
    max_zip_members: int = 10_000
    max_rows: int = 2_000_000
    max_columns: int = 1_000
    max_cells: int = 30_000_000             # rows x columns of a sheet's used area, which the parser allocates densely;
                                            # above 26 x 1,048,576 so single-letter sheets need no column count
    max_cell_chars: int = 32_767            # Excel's own limit per cell
    header_scan_rows: int = 30              # rows searched for the header
