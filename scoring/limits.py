"""Resource limits for reading uploaded spreadsheets.

An upload box is an attack surface: every limit here bounds memory or time before the
expensive work starts, so a hostile file is refused instead of hanging or killing the process.
xlsx and csv get the same budgets (bytes, rows x columns, one cell). The last line of defence is
the child process every file is read in (`scoring.isolation`): an address-space limit and a time
limit, so what the checks miss costs a refusal, never the server.
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1 << 20
GiB = 1 << 30


@dataclass(frozen=True)
class Limits:
    max_upload_bytes: int = 200 * MiB       # the file as uploaded
    max_unzipped_bytes: int = 1024 * MiB    # real (not declared) inflated size of the xlsx parts read, together
    max_ratio: float = 200.0                # declared uncompressed/compressed size of any part over 1 MiB
    max_zip_members: int = 10_000
    max_sheets: int = 255                   # sheets a workbook may list
    max_structure_bytes: int = 16 * MiB     # one relationships part or workbook.xml
    max_rows: int = 2_000_000
    max_columns: int = 1_000
    max_cells: int = 30_000_000             # rows x columns of a sheet's used area, which the parser allocates densely;
                                            # above 26 x 1,048,576 so single-letter sheets need no column count.
                                            # A csv's rows x widest row count the same way.
    max_cell_chars: int = 32_767            # Excel's own limit per cell
    header_scan_rows: int = 30              # rows searched for the header
    # the child process that reads one file
    child_memory_bytes: int = 3 * GiB       # address space (RLIMIT_AS) of the reading process
    child_seconds: float = 20.0             # wall-clock time to read one file ...
    child_seconds_per_mib: float = 0.5      # ... plus this per MiB uploaded (a 40 MiB million-row survey: 40 s)
    child_max_seconds: float = 120.0

    def seconds_for(self, size: int) -> float:
        """The time allowed to read a file of `size` bytes."""
        return min(self.child_seconds + self.child_seconds_per_mib * size / MiB, self.child_max_seconds)
