"""Checks that make an uploaded file safe to hand to the xlsx parser.

The parser (calamine, via fastexcel) allocates a sheet's used area densely and trusts the
zip container, so a 600-byte file with cells at A1 and ALL999999 aborts the whole process.
Everything that could cost unbounded memory or time is therefore checked here first, on the
raw bytes: container type, zip sizes and ratios, XML entity declarations (defusedxml), the
extent of each sheet that will be read, and formulas without a cached value.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from scoring.limits import Limits, MiB
from scoring.report import InputError, Report

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_CHUNK = 16 * MiB
_OVERLAP = 64

_REF = re.compile(r"([A-Z]{1,3})(\d+)")
_LAST_CELL = re.compile(rb'<c r="[A-Z]{1,3}(\d+)"')
_CELL_ROW = re.compile(rb' r="[A-Z]{1,3}(\d+)"')
_CELL_COL = re.compile(rb' r="([A-Z]{1,3})\d')
_TWO_LETTERS = re.compile(rb' r="[A-Z]{2}')
_THREE_LETTERS = re.compile(rb' r="[A-Z]{3}\d')
_FORMULA = re.compile(rb"<f[\s>/]")
_POSITIONAL = re.compile(rb'<c(?:>|/>|\s+(?!r="))')
_PREFIXED = re.compile(rb":[cf][\s>/]")  # namespace-prefixed cells or formulas: parse exactly
_DTD = (b"<!DOCTYPE", b"<!ENTITY", "<!DOCTYPE".encode("utf-16-le"), "<!ENTITY".encode("utf-16-le"))


def refuse(file: str, zh: str, en: str, **where) -> InputError:
    """An InputError carrying one located, bilingual error (raise it)."""
    report = Report()
    report.error(file, zh, en, **where)
    return InputError(report)


def col_letter(index: int) -> str:
    """Excel column letters of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def col_number(letters: str) -> int:
    """1-based column number of Excel column letters (A -> 1, XFD -> 16384)."""
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def describe_content(head: bytes) -> tuple[str, str]:
    """What a file really is, from its first bytes: (zh, en) for messages."""
    if head.startswith(ZIP_MAGIC):
        return "Excel 工作簿 (.xlsx)", "an Excel workbook (.xlsx)"
    if head.startswith(OLE_MAGIC):
        return "旧版 Excel (.xls) 或加密文件", "a legacy Excel (.xls) or encrypted file"
    lowered = head[:2048].lower()
    if b"<html" in lowered or b"<table" in lowered or b"<!doctype html" in lowered:
        return "网页 (HTML) 表格", "an HTML page"
    if b"\x00" not in head[:4096]:
        return "文本 (CSV)", "text (CSV)"
    return "无法识别的二进制文件", "an unrecognised binary file"


def refuse_ole(file: str, data: bytes) -> InputError:
    """An OLE/CFB container is either a password-protected xlsx or a legacy .xls."""
    if _ENCRYPTED in data:
        return refuse(file, "工作簿设有打开密码，无法读取；请在 Excel/WPS 中取消密码后另存为 .xlsx 再上传。",
                      "The workbook is password-protected; remove the password in Excel/WPS, save as .xlsx and upload again.")
    return refuse(file, "这是旧版 Excel 97-2003 (.xls) 文件，不受支持；请在 Excel/WPS 中“另存为” .xlsx 后再上传。",
                  "This is a legacy Excel 97-2003 (.xls) file, which is not supported; use Save As .xlsx in Excel/WPS and upload again.")


@dataclass(frozen=True)
class SheetInfo:
    name: str
    part: str        # path of the worksheet XML inside the zip
    visible: bool


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attr(element, name: str) -> str | None:
    """An attribute by local name (namespaces differ between transitional and strict OOXML)."""
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return None


def _parse_xml(zf: zipfile.ZipFile, part: str, file: str):
    try:
        return SafeET.fromstring(zf.read(part))
    except DefusedXmlException as exc:
        raise refuse(file, f"工作簿的 {part} 含有 XML 实体/DTD 声明（可能是“实体炸弹”），已拒绝。",
                     f"{part} in the workbook declares XML entities/DTD (a possible entity bomb); refused.") from exc
    except (SafeET.ParseError, KeyError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise refuse(file, f"工作簿已损坏：{part} 无法读取。", f"The workbook is damaged: {part} cannot be read.") from exc


def open_package(source: str | Path | bytes, file: str, limits: Limits) -> tuple[zipfile.ZipFile, list[SheetInfo]]:
    """Open an xlsx zip after checking its container, sizes and XML prologs; list its worksheets."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
        members = zf.infolist()
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
        raise refuse(file, "文件已损坏或不完整（可能上传中断），无法作为 .xlsx 打开；请重新保存后上传。",
                     "The file is damaged or incomplete (perhaps a broken upload) and cannot be opened as .xlsx; save it again and re-upload.") from exc
    if len(members) > limits.max_zip_members:
        raise refuse(file, f"工作簿包含 {len(members)} 个内部文件，超过上限 {limits.max_zip_members}，已拒绝。",
                     f"The workbook holds {len(members)} internal parts, over the limit of {limits.max_zip_members}; refused.")
    if any(m.flag_bits & 0x1 for m in members):
        raise refuse(file, "工作簿内部文件被加密，无法读取；请取消密码后另存为 .xlsx。",
                     "Parts of the workbook are encrypted; remove the password and save as .xlsx.")
    total = sum(m.file_size for m in members)
    if total > limits.max_unzipped_bytes:
        raise refuse(file, f"工作簿解压后为 {total / MiB:,.0f} MiB，超过上限 {limits.max_unzipped_bytes / MiB:,.0f} MiB（疑似压缩炸弹），已拒绝。",
                     f"The workbook unpacks to {total / MiB:,.0f} MiB, over the {limits.max_unzipped_bytes / MiB:,.0f} MiB limit (a possible zip bomb); refused.")
    for m in members:
        if m.file_size > MiB and m.file_size > limits.max_ratio * max(m.compress_size, 1):
            raise refuse(file, f"工作簿内部文件 {m.filename} 的压缩比异常（{m.file_size / max(m.compress_size, 1):,.0f} 倍，疑似压缩炸弹），已拒绝。",
                         f"Part {m.filename} has an abnormal compression ratio ({m.file_size / max(m.compress_size, 1):,.0f}x, a possible zip bomb); refused.")
    names = {m.filename for m in members}
    for m in members:
        if m.filename.endswith((".xml", ".rels", ".vml")):
            _check_prolog(zf, m.filename, file)
    workbook = _workbook_part(zf, names, file)
    return zf, _sheets(zf, workbook, names, file)


def _check_prolog(zf: zipfile.ZipFile, part: str, file: str) -> None:
    try:
        with zf.open(part) as stream:
            head = stream.read(64 * 1024)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise refuse(file, f"工作簿已损坏：{part} 无法解压。", f"The workbook is damaged: {part} cannot be decompressed.") from exc
    if any(marker in head for marker in _DTD):
        raise refuse(file, f"工作簿的 {part} 含有 XML 实体/DTD 声明（可能是“实体炸弹”），已拒绝。",
                     f"{part} in the workbook declares XML entities/DTD (a possible entity bomb); refused.")


def _workbook_part(zf: zipfile.ZipFile, names: set[str], file: str) -> str:
    workbook = "xl/workbook.xml"
    if "_rels/.rels" in names:
        for rel in _parse_xml(zf, "_rels/.rels", file):
            if (rel.get("Type") or "").endswith("/officeDocument"):
                workbook = (rel.get("Target") or "").lstrip("/")
    if workbook not in names:
        raise refuse(file, "该压缩包不是 Excel 工作簿（缺少 workbook.xml），可能是 Word 等其他文件改了扩展名。",
                     "This zip is not an Excel workbook (no workbook.xml); perhaps another document renamed to .xlsx.")
    return workbook


def _sheets(zf: zipfile.ZipFile, workbook: str, names: set[str], file: str) -> list[SheetInfo]:
    folder, base = posixpath.split(workbook)
    rels_part = posixpath.join(folder, "_rels", base + ".rels")
    targets: dict[str, str] = {}
    if rels_part in names:
        for rel in _parse_xml(zf, rels_part, file):
            if (rel.get("Type") or "").endswith("/worksheet"):
                target = rel.get("Target") or ""
                path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
                targets[rel.get("Id") or ""] = path
    sheets = []
    for element in _parse_xml(zf, workbook, file).iter():
        if _local(element.tag) == "sheet":
            part = targets.get(_attr(element, "id") or "")
            if part is not None:
                sheets.append(SheetInfo(element.get("name") or "", part, element.get("state", "visible") == "visible"))
    return sheets


@dataclass
class _Scan:
    max_row: int = 0
    three_letters: bool = False
    two_letters: bool = False
    positional: bool = False
    formulas: bool = False


def _chunks(zf: zipfile.ZipFile, part: str, file: str, sheet: str):
    """The part's bytes in chunks cut just after a '>': none of the scanned patterns contains '>'
    before its end, so none straddles two chunks. Python's zipfile stops at the declared size
    and checks the CRC, so a part cannot inflate beyond what the size checks allowed."""
    carry = b""
    try:
        with zf.open(part) as stream:
            while chunk := stream.read(_CHUNK):
                data = carry + chunk
                cut = data.rfind(b">") + 1 or len(data)
                yield data[:cut]
                carry = data[cut:]
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise refuse(file, f"工作表“{sheet}”已损坏，无法解压。", f"Sheet '{sheet}' is damaged and cannot be decompressed.",
                     sheet=sheet) from exc
    except KeyError as exc:
        raise refuse(file, f"工作表“{sheet}”在工作簿中缺失。", f"Sheet '{sheet}' is missing from the workbook.",
                     sheet=sheet) from exc
    if carry:
        yield carry


def _greater_than(n: int) -> re.Pattern:
    """Cell references whose row number is greater than n (or written with a leading zero)."""
    t = str(n)
    alternatives = ["0", rf"[1-9]\d{{{len(t)},}}"]
    alternatives += [rf"{t[:i]}[{int(d) + 1}-9]\d{{{len(t) - i - 1}}}" for i, d in enumerate(t) if d != "9"]
    return re.compile(rb' r="[A-Z]{1,3}(?:' + "|".join(alternatives).encode() + rb')')


def _chunk_max_row(chunk: bytes) -> int:
    """Largest row number among the chunk's cell references. Rows are normally in order, so the
    last cell's row is the candidate; a single regex pass confirms no reference exceeds it, and
    only otherwise (out of order, or hostile) are all references read."""
    last = _LAST_CELL.match(chunk, max(chunk.rfind(b'<c r="'), 0))
    candidate = int(last[1]) if last else 0
    if not _greater_than(candidate).search(chunk):
        return candidate
    return max(map(int, _CELL_ROW.findall(chunk)))


def _scan(zf: zipfile.ZipFile, info: SheetInfo, file: str) -> _Scan:
    scan = _Scan()
    for k, chunk in enumerate(_chunks(zf, info.part, file, info.name)):
        # a DTD can only stand in the prolog; the first chunk holds it
        if k == 0 and any(marker in chunk for marker in _DTD):
            raise refuse(file, f"工作表“{info.name}”含有 XML 实体/DTD 声明（可能是“实体炸弹”），已拒绝。",
                         f"Sheet '{info.name}' declares XML entities/DTD (a possible entity bomb); refused.", sheet=info.name)
        scan.max_row = max(scan.max_row, _chunk_max_row(chunk))
        if not scan.three_letters and _TWO_LETTERS.search(chunk):
            scan.two_letters = True
            scan.three_letters = bool(_THREE_LETTERS.search(chunk))
        scan.positional = scan.positional or bool(_POSITIONAL.search(chunk) or _PREFIXED.search(chunk))
        scan.formulas = scan.formulas or bool(_FORMULA.search(chunk))
    return scan


def _max_column(zf: zipfile.ZipFile, info: SheetInfo, file: str) -> tuple[int, str]:
    letters: set[bytes] = set()
    for chunk in _chunks(zf, info.part, file, info.name):
        letters.update(_CELL_COL.findall(chunk))
    widest = max(letters, key=lambda s: (len(s), s)).decode() if letters else "A"
    return col_number(widest), widest


def _walk(zf: zipfile.ZipFile, info: SheetInfo, file: str) -> tuple[int, int, list[str]]:
    """Exact extent, and formula cells without a cached value, by parsing the sheet (defusedxml).
    Slow, so used only for sheets with formulas or with cells that carry no position."""
    max_row = max_col = row = col = 0
    uncached: list[str] = []
    try:
        with zf.open(info.part) as stream:
            for event, element in SafeET.iterparse(stream, events=("start", "end")):
                tag = _local(element.tag)
                if event == "start":
                    if tag == "row":
                        number = element.get("r") or ""
                        row, col = (int(number) if number.isdigit() else row + 1), 0
                    continue
                if tag == "c":
                    ref = _REF.fullmatch(element.get("r") or "")
                    col, cell_row = (col_number(ref[1]), int(ref[2])) if ref else (col + 1, row)
                    children = {_local(child.tag): child for child in element}
                    value = children.get("v")
                    if "f" in children and (value is None or not value.text) and element.get("t") != "str" \
                            and len(uncached) < 20:
                        uncached.append(f"{col_letter(col - 1)}{cell_row}")
                    max_row, max_col = max(max_row, cell_row), max(max_col, col)
                    element.clear()
                elif tag == "row":
                    element.clear()
    except DefusedXmlException as exc:
        raise refuse(file, f"工作表“{info.name}”含有 XML 实体/DTD 声明，已拒绝。",
                     f"Sheet '{info.name}' declares XML entities/DTD; refused.", sheet=info.name) from exc
    except (SafeET.ParseError, zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise refuse(file, f"工作表“{info.name}”已损坏（XML 无法解析）。", f"Sheet '{info.name}' is damaged (invalid XML).",
                     sheet=info.name) from exc
    return max_row, max_col, uncached


def check_sheet(zf: zipfile.ZipFile, info: SheetInfo, file: str, limits: Limits) -> None:
    """Refuse a sheet whose used area is over the limits, or whose formulas have no cached value.

    A fast byte scan finds the largest row number; the widest column is bounded by the number
    of letters in cell references and computed exactly only when that bound matters."""
    scan = _scan(zf, info, file)
    max_row, widest = scan.max_row, None
    bound = 16_384 if scan.three_letters else 702 if scan.two_letters else 26
    if bound > limits.max_columns or bound * max_row > limits.max_cells:
        max_col, widest = _max_column(zf, info, file)
    else:
        max_col = bound  # an upper bound, small enough not to matter
    uncached: list[str] = []
    if scan.positional or scan.formulas:
        max_row, max_col, uncached = _walk(zf, info, file)
        widest = col_letter(max_col - 1) if max_col else None
    where = {"sheet": info.name}
    if widest and max_col > limits.max_columns:
        raise refuse(file, f"工作表“{info.name}”用到第 {max_col:,} 列（{widest} 列），超过上限 {limits.max_columns:,} 列；请删除多余的列后再上传。",
                     f"Sheet '{info.name}' uses column {widest} ({max_col:,} columns), over the limit of {limits.max_columns:,}; delete the extra columns and upload again.",
                     column=widest, **where)
    if max_row > limits.max_rows:
        raise refuse(file, f"工作表“{info.name}”用到第 {max_row:,} 行，超过上限 {limits.max_rows:,} 行。",
                     f"Sheet '{info.name}' uses row {max_row:,}, over the limit of {limits.max_rows:,} rows.", row=max_row, **where)
    if max_row * max_col > limits.max_cells:
        raise refuse(file, f"工作表“{info.name}”的使用区域（{max_row:,} 行 × {max_col:,} 列）超过上限 {limits.max_cells:,} 个单元格。",
                     f"Sheet '{info.name}' spans {max_row:,} rows x {max_col:,} columns, over the limit of {limits.max_cells:,} cells.", **where)
    if uncached:
        report = Report()
        for ref in uncached:
            match = _REF.fullmatch(ref)
            report.error(file, "单元格含公式但没有保存计算结果；请在 Excel/WPS 中打开、重新计算并保存后再上传（或把公式粘贴为数值）。",
                         "The cell holds a formula without a saved result; open the file in Excel/WPS, recalculate and save (or paste the formulas as values), then upload again.",
                         sheet=info.name, row=int(match[2]), column=match[1])
        raise InputError(report)
