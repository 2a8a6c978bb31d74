"""Read one uploaded spreadsheet (xlsx or csv) into a located table of cleaned text.

`read_table` finds the sheet and the header row by itself, cleans every cell
(`scoring.cells.clean_text`) and keeps, for every remaining row and column, where the user
sees it in Excel, so later validation can point at the exact cell. Mapping columns to
meaning is the importer's job. Anything unreadable raises `InputError` with a bilingual
message naming the file; hostile files are stopped by `scoring.xlsx_guard` before parsing, and the
parser only ever sees the guard's vetted copy of a workbook.

`read_table` reads in a child process (`scoring.isolation`) with a memory and a time limit, so a
file that crashes or exhausts the reader costs a located refusal, never the server; `read_here`
is the same work in the calling process (what the child runs).

xlsx is parsed by fastexcel (calamine, Rust) straight to Arrow, every cell as text: measured on
200,000 rows x 12 columns it took 1.2 s against 2.4 s for python-calamine's Python lists,
8.7 s for pandas+calamine and ~73 s for pandas+openpyxl.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import tempfile
import zipfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel
import numpy as np
import pandas as pd
import pyarrow as pa

from scoring.aliases import header_score, normalise, recognised
from scoring.cells import clean_text, parse_numbers
from scoring.limits import Limits
from scoring.report import Report
from scoring.xlsx_formats import percent_cells, percent_styles
from scoring.xlsx_guard import (
    OLE_MAGIC,
    ZIP_MAGIC,
        SheetInfo,
    check_sheet,
    col_letter,
    describe_content,
    refuse,
    refuse_ole,
    vet_package,
)

# first cell of a row at the bottom of a sheet that marks totals, remarks or signatures
FOOTER_STARTS = tuple(normalise(s) for s in (
    "合计", "总计", "小计", "备注", "说明", "填表说明", "注:", "制表", "制表人", "填表人", "填报人",
    "审核人", "负责人", "联系人", "total", "note"))
MAX_LOCATED_WARNINGS = 20
DEFAULT_LIMITS = Limits()
@dataclass
class Table:
    """A sheet's data as text, with where each row and column sits in the original file.

    header[j]  cleaned header text of column j (see `_header_texts` for two-row headers)
    columns[j] Excel column letter of column j ("A", "B", ...; for csv the letter Excel would show)
    rows[i]    Excel row number (1-based) of data row i
    data       DataFrame with positional columns 0..n-1 of pandas' Arrow-backed `str` dtype;
               blank cells are missing (`data.isna()`); blank rows and columns and the
               total/remark rows at the bottom are already dropped
    report     warnings met while reading (e.g. control characters removed); never errors
    percent    cells whose number format is a percentage: their value was multiplied by 100
               (a cell showing 90% stores 0.9 and reads as 90, like the text "90%")
    """

    file: str
    sheet: str | None
    header: list[str]
    columns: list[str]
    rows: np.ndarray
    data: pd.DataFrame
    report: Report = field(default_factory=Report)
    percent: dict[str, np.ndarray] = field(default_factory=dict)  # column letter -> Excel rows read ×100

    def percent_rows(self, j: int) -> np.ndarray:
        """Which data rows of column j held a number formatted as a percentage (read × 100)."""
        rows = self.percent.get(self.columns[j])
        return np.zeros(len(self.rows), dtype=bool) if rows is None else np.isin(self.rows, rows)

    def where(self, i: int | None = None, j: int | None = None) -> dict:
        """Location keywords for `Report.error`/`warning` of data row i and column j."""
        loc: dict = {"sheet": self.sheet}
        if i is not None:
            loc["row"] = int(self.rows[i])
        if j is not None:
            loc["column"], loc["header"] = self.columns[j], self.header[j]
        return loc


def read_table(source: str | Path | bytes, name: str, *, extra_headers: frozenset[str] | set[str] = frozenset(),
               sheet_hint: tuple[str, ...] = (), limits: Limits = DEFAULT_LIMITS) -> Table:
    """Read a spreadsheet, in a child process (see the module doc). `source` is a path or the
    uploaded bytes, `name` the file name the user knows (its extension decides the expected
    format). `extra_headers` are model codes and names that count as recognised headers;
    `sheet_hint` names the sheet to prefer (a hint matches a sheet whose name contains it)."""
    from scoring.isolation import read_isolated

    return read_isolated(source, name, extra_headers=frozenset(extra_headers), sheet_hint=tuple(sheet_hint), limits=limits)


def read_here(source: str | Path | bytes, name: str, *, extra_headers: frozenset[str] | set[str] = frozenset(),
              sheet_hint: tuple[str, ...] = (), limits: Limits = DEFAULT_LIMITS) -> Table:
    """`read_table` in this process: only for a process that may die with the file (the child)."""
    size = len(source) if isinstance(source, bytes) else _file_size(source, name)
    if size == 0:
        raise refuse(name, "文件是空的（0 字节）。", "The file is empty (0 bytes).")
    if size > limits.max_upload_bytes:
        raise refuse(name, f"文件大小 {size / 2**20:,.1f} MiB 超过上限 {limits.max_upload_bytes / 2**20:,.0f} MiB。",
                     f"The file is {size / 2**20:,.1f} MiB, over the limit of {limits.max_upload_bytes / 2**20:,.0f} MiB.")
    data = source if isinstance(source, bytes) else None
    head = data[:8192] if data is not None else _head(source)
    extra = frozenset(normalise(h) for h in extra_headers)
    ext = Path(name).suffix.lower()
    if head.startswith(OLE_MAGIC):
        raise refuse_ole(name, data if data is not None else Path(source).read_bytes())
    if ext == ".xlsx":
        if not head.startswith(ZIP_MAGIC):
            zh, en = describe_content(head)
            raise refuse(name, f"文件扩展名是 .xlsx，但内容是{zh}，不是 Excel 工作簿；请在 Excel/WPS 中打开并“另存为” .xlsx（或改用正确的扩展名）。",
                         f"The file is named .xlsx but holds {en}, not an Excel workbook; open it in Excel/WPS and Save As .xlsx (or use the right extension).")
        return _read_xlsx(source, name, extra, sheet_hint, limits)
    if ext in (".csv", ".txt"):
        if head.startswith(ZIP_MAGIC):
            raise refuse(name, f"文件扩展名是 {ext}，但内容是 Excel 工作簿；请把扩展名改为 .xlsx 后上传。",
                         f"The file is named {ext} but holds an Excel workbook; rename it to .xlsx and upload again.")
        if data is not None:
            return _read_csv(io.BytesIO(data), name, extra, limits)
        with open(source, "rb") as stream:  # read as it is parsed: a big csv is never held whole
            return _read_csv(stream, name, extra, limits)
    if ext == ".xls":
        raise refuse(name, "不支持旧版 .xls 文件；请在 Excel/WPS 中“另存为” .xlsx 后再上传。",
                     "Legacy .xls files are not supported; use Save As .xlsx in Excel/WPS and upload again.")
    raise refuse(name, f"不支持的文件类型“{ext or '无扩展名'}”；请上传 .xlsx 或 .csv 文件。",
                 f"Unsupported file type '{ext or 'no extension'}'; upload an .xlsx or .csv file.")


def _file_size(path: str | Path, name: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError as exc:
        raise refuse(name, "无法打开文件。", f"The file cannot be opened ({exc.strerror}).") from exc


def _head(path: str | Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(8192)


# ---- xlsx -------------------------------------------------------------------------------


@dataclass
class _Grid:
    """A sheet's cells as cleaned text: one Series per column, index = Excel row number."""

    frame: pd.DataFrame
    letters: list[str]
    control: pd.DataFrame   # True where control characters were removed
    percent: dict[str, np.ndarray] = field(default_factory=dict)  # column letter -> rows scaled ×100

    def best_score(self, extra: frozenset[str], scan_rows: int) -> int:
        top = self.frame[self.frame.notna().any(axis=1)].head(scan_rows)
        return max((header_score(_cells(r), extra) for r in top.itertuples(index=False)), default=0)


def _read_xlsx(source, name: str, extra: frozenset[str], hint: tuple[str, ...], limits: Limits) -> Table:
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="sanwei-vetted-"))
        package = vet_package(source, name, limits, Path(tmp) / "vetted.xlsx")
        visible = package.sheets
        if not visible:
            raise refuse(name, "工作簿里没有可见的工作表。", "The workbook has no visible sheet.")
        try:
            reader = fastexcel.read_excel(str(package.path))
        except Exception as exc:  # any parser failure becomes a refusal, never a traceback
            raise refuse(name, "工作簿无法读取（文件可能已损坏）；请在 Excel/WPS 中重新保存为 .xlsx。",
                         "The workbook cannot be read (it may be damaged); save it again as .xlsx.") from exc
        vetted = stack.enter_context(zipfile.ZipFile(package.path))
        styles = percent_styles(vetted)  # the vetted copy keeps the styles: percent cells read as shown
        grids: dict[str, _Grid] = {}

        def grid(info: SheetInfo) -> _Grid:
            if info.name not in grids:
                check_sheet(package, info, name, limits)
                grids[info.name] = _scale_percent(_load_sheet(reader, info, name, package.scans[info.name].a1_valued),
                                                  percent_cells(vetted, info, name, styles))
            return grids[info.name]

        wanted = [normalise(h) for h in hint]
        hinted = [s for s in visible if any(w and w in normalise(s.name) for w in wanted)]
        report = Report()
        if hinted or len(visible) == 1:
            chosen = (hinted or visible)[0]
        else:
            chosen = _choose_sheet(visible, grid, extra, limits, name, report)
        g = grid(chosen)
        table = _table(g.frame, g.control, g.letters, name, chosen.name, extra, limits)
        table.report.issues[:0] = report.issues
        _note_percent(table, g.percent)
        return table


def _choose_sheet(visible: list[SheetInfo], grid, extra, limits: Limits, name: str, report: Report) -> SheetInfo:
    """The only visible sheet whose header is recognised; if several are, the first of them (with a
    warning); if none is, the first non-empty visible sheet."""
    scored = [(grid(s).best_score(extra, limits.header_scan_rows), s) for s in visible]
    fitting = [s for score, s in scored if score > 0]
    if len(fitting) > 1:
        others = "、".join(s.name for s in fitting[1:])
        report.warning(name, f"有多个工作表像是数据表，已读取“{fitting[0].name}”，未读取：{others}。",
                       f"Several sheets look like data; read '{fitting[0].name}', not: {others}.", sheet=fitting[0].name)
    if fitting:
        return fitting[0]
    for info in visible:
        if grid(info).frame.notna().any(axis=None):
            return info
    raise refuse(name, "工作簿里没有任何数据（所有可见工作表都是空的）。", "The workbook holds no data (every visible sheet is empty).")


def _load_sheet(reader, info: SheetInfo, name: str, from_a1: bool) -> _Grid:
    """The sheet's cells as text. The parser's range starts at the first row and column holding a
    value; when A1 holds one (the guard's scan says so) that is A1 and the faster eager load
    (about twice as fast on a million rows) needs no column positions, otherwise the lazy load
    gives each column's position."""
    try:
        if from_a1:
            batch = reader.load_sheet_eager(info.name, header_row=None, skip_rows=0, dtypes="string")
            letters = [col_letter(j) for j in range(batch.num_columns)]
        else:
            sheet = reader.load_sheet(info.name, header_row=None, skip_rows=0, dtypes="string")
            batch = sheet.to_arrow()
            letters = [col_letter(c.absolute_index) for c in sheet.available_columns()]
    except Exception as exc:  # any parser failure becomes a refusal, never a traceback
        raise refuse(name, f"工作表“{info.name}”无法读取（文件可能已损坏）。",
                     f"Sheet '{info.name}' cannot be read (the file may be damaged).", sheet=info.name) from exc
    return _clean(list(batch.columns), letters)


def _clean(columns: list[pa.Array], letters: list[str]) -> _Grid:
    """Clean every column; row i of the sheet is Excel row i + 1 (leading blank rows are kept)."""
    clean, control = {}, {}
    for j, column in enumerate(columns):
        clean[j], control[j] = clean_text(column.to_pandas())
    frame, flags = pd.DataFrame(clean), pd.DataFrame(control)
    frame.index = flags.index = pd.RangeIndex(1, len(frame) + 1)
    return _Grid(frame, letters, flags)


def _scale_percent(grid: _Grid, cells: dict[str, np.ndarray]) -> _Grid:
    """Numbers in percent-formatted cells as the percentages they show (0.9 -> "90"), vectorised per
    column; `grid.percent` keeps which cells were scaled."""
    position = {letter: j for j, letter in enumerate(grid.letters)}
    for letter, rows in cells.items():
        j = position.get(letter)
        if j is None:
            continue
        rows = rows[(rows >= 1) & (rows <= len(grid.frame))]
        values, bad = parse_numbers(grid.frame.loc[rows, j])
        ok = values.notna().to_numpy() & ~bad.to_numpy()
        if not ok.any():
            continue
        scaled = np.char.mod("%.15g", values.to_numpy()[ok] * 100)  # 15 digits: 0.9 × 100 reads 90, not 90.00000000000001
        column = grid.frame[j].astype(object)
        column.loc[rows[ok]] = scaled.astype(object)
        grid.frame[j] = column.astype("str")
        grid.percent[letter] = rows[ok]
    return grid


def _note_percent(table: Table, percent: dict[str, np.ndarray]) -> None:
    """Keep, per column of the table, the data rows read from a percent format, and say so once per column."""
    for j, letter in enumerate(table.columns):
        rows = percent.get(letter)
        if rows is None:
            continue
        rows = rows[np.isin(rows, table.rows)]
        if not rows.size:
            continue
        table.percent[letter] = rows
        table.report.info(table.file, f"本列有 {rows.size} 个单元格设为百分比格式，按显示的百分数读取（如 0.9 显示为 90% 即读作 90）",
                          f"{rows.size} cells of this column are formatted as percentages and read as the percentage "
                          "shown (0.9 shown as 90% reads as 90)", sheet=table.sheet, column=letter, header=table.header[j])


# ---- header, footer, shaping ----------------------------------------------------------------


def _cells(row) -> list[str | None]:
    return [None if (isinstance(v, float) or v is None) else v for v in row]


def _textual(cells: list[str | None]) -> bool:
    floats, _ = parse_numbers(pd.Series(cells, dtype="str"))
    return not floats.notna().any()


def _header_band(top: list[list[str | None]], extra: frozenset[str]) -> list[int]:
    """Indexes (into `top`) of the header rows. The main one has the highest header score (first on
    ties; the fullest row if nothing is recognised). A neighbouring row without numbers joins when it
    recognises headers in columns the band does not yet; the row below also joins when it is blank
    under every recognised header and filled only under the others (recognised headers merged
    down over a group header split into sub-headers)."""
    scores = [header_score(r, extra) for r in top]
    if max(scores) > 0:
        h = scores.index(max(scores))
    else:
        counts = [sum(c is not None for c in r) for r in top]
        h = counts.index(max(counts))
    band = [h]
    known = {j for j, c in enumerate(top[h]) if recognised(c, extra)}
    for k in (h + 1, h - 1):
        if not (0 <= k < len(top)) or not _textual(top[k]):
            continue
        filled = {j for j, c in enumerate(top[k]) if c is not None}
        adds = any(recognised(top[k][j], extra) for j in filled - known)
        splits = k == h + 1 and known and filled and not filled & known
        if adds or splits:
            band = sorted(band + [k])
            known |= {j for j in filled if recognised(top[k][j], extra)}
    return band


def _header_texts(band_rows: list[list[str | None]], extra: frozenset[str]) -> list[str]:
    """One header text per column from one or more header rows. Upper rows are filled to the right
    across blanks (a merged group cell holds its text only in its first column). The header is the
    lowest (most specific) part that is a recognised header; if no part is, the parts joined with
    "/" (e.g. "实绩数据/财政收入增速")."""
    filled = []
    for k, row in enumerate(band_rows):
        if k < len(band_rows) - 1:
            row = list(pd.Series(row, dtype=object).ffill())
        filled.append(row)
    texts = []
    for j in range(len(band_rows[0])):
        parts = [r[j] for r in filled if r[j] is not None]
        known = [p for p in parts if recognised(p, extra)]
        if known:
            texts.append(known[-1])
        else:
            texts.append("/".join(dict.fromkeys(parts)))
    return texts


def _is_footer(row: list[str | None]) -> bool:
    first = next((c for c in row if c is not None), None)
    return first is not None and normalise(first).startswith(FOOTER_STARTS)


def _table(frame: pd.DataFrame, control: pd.DataFrame, letters: list[str], name: str, sheet: str | None,
           extra: frozenset[str], limits: Limits) -> Table:
    """Find the header, drop blank rows/columns and footer rows, check cell lengths, report
    removed control characters."""
    present = frame.notna().to_numpy()
    kept = np.flatnonzero(present.any(axis=1))
    if kept.size == 0:
        raise refuse(name, "表格里没有任何数据。", "The sheet holds no data.", sheet=sheet)
    top_pos = kept[:limits.header_scan_rows]
    top = [_cells(r) for r in frame.iloc[top_pos].itertuples(index=False)]
    band = _header_band(top, extra)
    header_rows = top_pos[band]
    body = kept[kept > header_rows[-1]]
    while body.size and _is_footer(_cells(frame.iloc[body[-1]])):
        body = body[:-1]
    used_rows = np.concatenate([header_rows, body])
    cols = np.flatnonzero(present[used_rows].any(axis=0))
    header = _header_texts([[r[j] for j in cols] for r in (top[b] for b in band)], extra)
    # a contiguous block is sliced, not copied (a million-row survey usually is one)
    contiguous = body.size and body[-1] - body[0] + 1 == body.size
    data = frame.iloc[body[0]:body[-1] + 1] if contiguous else frame.iloc[body]
    data = data.iloc[:, cols].reset_index(drop=True)
    data.columns = range(len(cols))
    table = Table(name, sheet, header, [letters[j] for j in cols], frame.index.to_numpy()[body], data)
    _check_lengths(table, limits)
    _report_control(table, control.iloc[used_rows, cols])
    return table


def _check_lengths(table: Table, limits: Limits) -> None:
    for j in table.data.columns:
        lengths = table.data[j].str.len()
        if lengths.max() > limits.max_cell_chars:
            i = int(lengths.to_numpy(dtype="float64", na_value=0).argmax())
            raise refuse(table.file, f"单元格内容过长（{int(lengths.iloc[i]):,} 个字符，上限 {limits.max_cell_chars:,}）。",
                         f"The cell is too long ({int(lengths.iloc[i]):,} characters, limit {limits.max_cell_chars:,}).",
                         **table.where(i, j))


def _report_control(table: Table, control: pd.DataFrame) -> None:
    rows, cols = np.nonzero(control.to_numpy(dtype=bool))
    for r, c in zip(rows[:MAX_LOCATED_WARNINGS], cols[:MAX_LOCATED_WARNINGS], strict=True):
        table.report.warning(table.file, "单元格含有控制字符或不可见字符，已删除。",
                             "The cell contained control or invisible characters; they were removed.",
                             sheet=table.sheet, row=int(control.index[r]), column=table.columns[c], header=table.header[c])
    if len(rows) > MAX_LOCATED_WARNINGS:
        table.report.warning(table.file, f"另有 {len(rows) - MAX_LOCATED_WARNINGS:,} 个单元格的控制字符已删除。",
                             f"Control characters were removed from {len(rows) - MAX_LOCATED_WARNINGS:,} more cells.",
                             sheet=table.sheet)


# ---- csv ------------------------------------------------------------------------------------


def _encoding(stream, name: str) -> tuple[str, int]:
    """(codec, BOM length): UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"),
    else GB18030. The whole file is checked, in slices, so no second copy of it is ever made."""
    stream.seek(0)
    head = stream.read(4)
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            if not _decodes(stream, len(bom), codec):
                raise _bad_encoding(name)
            return codec, len(bom)
    for codec in ("utf-8", "gb18030"):
        if _decodes(stream, 0, codec):
            return codec, 0
    raise _bad_encoding(name)


def _decodes(stream, start: int, codec: str) -> bool:
    decoder = codecs.getincrementaldecoder(codec)()
    stream.seek(start)
    try:
        while chunk := stream.read(8 * 2**20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _bad_encoding(name: str):
    return refuse(name, "无法识别文件的文字编码（支持 UTF-8 和 GB18030/GBK）；请在 Excel/WPS 中另存为“CSV UTF-8”或 .xlsx。",
                  "The text encoding is not recognised (UTF-8 and GB18030/GBK are supported); save as 'CSV UTF-8' or .xlsx.")


CSV_BLOCK_ROWS = 10_000  # rows turned into Arrow columns at a time, so Python lists stay small


def _read_csv(data, name: str, extra: frozenset[str], limits: Limits) -> Table:
    """A csv under the same budgets as a workbook: rows, columns, rows x widest row, one cell's
    length, all checked while reading (a file of empty cells is refused at the budget, not after
    building it), the cells kept as Arrow columns block by block."""
    first = data.read(65536)
    if b"\x00" in first[:4096] and not first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise refuse(name, "文件内容是二进制数据，不是 CSV 文本。", "The file holds binary data, not CSV text.")
    codec, bom = _encoding(data, name)
    head = first[bom:].decode(codec, errors="ignore")
    lines = [line for line in head.splitlines()[:30] if line.strip()]
    delimiter = max(",\t;", key=lambda d: sum(d in line for line in lines))  # ties keep the comma
    data.seek(bom)
    stream = io.TextIOWrapper(data, encoding=codec, newline="")  # decoded as read
    stream.read(0)
    reader = csv.reader(stream, delimiter=delimiter)
    blocks: list[tuple[int, list[pa.Array]]] = []
    block: list[list[str]] = []
    rows = width = 0

    def flush() -> None:
        columns = [pa.array(c, pa.string()) for c in itertools.zip_longest(*block)]
        blocks.append((len(block), columns))
        block.clear()

    previous = csv.field_size_limit(limits.max_cell_chars)  # process-wide, restored below
    try:
        for row in reader:
            rows += 1
            if rows > limits.max_rows:
                raise refuse(name, f"文件行数超过上限 {limits.max_rows:,} 行。", f"The file has more rows than the limit of {limits.max_rows:,} rows.")
            if len(row) > width:
                width = len(row)
                if width > limits.max_columns:
                    raise refuse(name, f"第 {rows} 行有 {width:,} 列，超过上限 {limits.max_columns:,} 列。",
                                 f"Row {rows} has {width:,} columns, over the limit of {limits.max_columns:,}.", row=rows)
            if rows * width > limits.max_cells:
                raise refuse(name, f"文件的使用区域（{rows:,} 行 × {width:,} 列）超过上限 {limits.max_cells:,} 个单元格。",
                             f"The file spans {rows:,} rows x {width:,} columns, over the limit of {limits.max_cells:,} cells.",
                             row=rows)
            block.append(row)
            if len(block) == CSV_BLOCK_ROWS:
                flush()
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise refuse(name, f"单元格内容过长（超过 {limits.max_cell_chars:,} 个字符）。",
                         f"A cell is too long (over {limits.max_cell_chars:,} characters).", row=reader.line_num) from exc
        raise refuse(name, f"CSV 格式错误（第 {rows + 1} 行附近）。", f"Malformed CSV near row {rows + 1}.",
                     row=rows + 1) from exc
    finally:
        csv.field_size_limit(previous)
    if block:
        flush()
    columns = []
    for j in range(width):
        parts = [cols[j] if j < len(cols) else pa.nulls(n, pa.string()) for n, cols in blocks]
        columns.append(pa.concat_arrays(parts) if parts else pa.array([], pa.string()))
    blocks.clear()
    grid = _clean(columns, [col_letter(j) for j in range(width)])
    return _table(grid.frame, grid.control, grid.letters, name, None, extra, limits)
