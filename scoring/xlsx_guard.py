"""Checks that make an uploaded file safe to hand to the xlsx parser, and the vetted copy it gets.

The parser (calamine, via fastexcel) allocates a sheet's used area densely and trusts the zip
container, so a 600-byte file with cells at A1 and ALL999999 aborts the whole process. Nothing
the parser reads may therefore be taken from the upload unchecked. `vet_package`:

- validates every zip member name (no `..`, `.`, backslash, absolute, drive, control-character or
  duplicate names — duplicates also ignoring case) and every relationship target it follows (no
  `..`, backslash, scheme or external target; it must name a member literally);
- inflates each part it needs itself, from the raw compressed bytes, counting the *real* size:
  a part that inflates beyond its declared size, or whose size or CRC does not match, or that
  takes the upload past the budget, is refused the moment that happens (memory stays one chunk);
- limits the number of parts and of sheets (and refuses two sheets sharing one part);
- refuses XML entity declarations (defusedxml) in every part it copies;
- scans each visible sheet's extent and formulas while copying it;
- writes a fresh package: its own [Content_Types].xml, relationships and workbook.xml (sheet
  names, states and the 1904 flag carried over), the vetted sheets, shared strings and styles,
  all stored uncompressed at the paths Excel itself uses. Everything else in the upload (drawings,
  macros, external links, hidden sheets, the original relationships) is left behind.

So the parser sees exactly the bytes that were checked, whatever its own zip or path handling.
`check_sheet` then refuses a sheet whose used area is over the limits before the parser loads it.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import threading
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue
from xml.sax.saxutils import quoteattr

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from scoring.limits import Limits, MiB
from scoring.report import InputError, Report

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_CHUNK = 16 * MiB       # scanned at once (cut after a '>')
_IN_CHUNK = 1 * MiB     # compressed bytes fed to zlib at once
_LOCAL_HEADER = struct.Struct("<4s5H3I2H")
_LOCAL_MAGIC = b"PK\x03\x04"

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
_FIRST_CELL = re.compile(rb"<c[\s>/]")
_A1_VALUED = re.compile(rb'<c r="A1"(?:\s+[A-Za-z:]+="[^"<>]*")*\s*>\s*(?:<f[\s>][^<]*(?:</f>)?\s*)?'
                        rb'(?:<v>[^<\s]|<is>\s*<t(?:\s[^>]*)?>[^<\s])')
_BAD_NAME_CHAR = re.compile(r"[\x00-\x1f\x7f\\]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")

REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


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
    part: str        # path of the worksheet XML inside the vetted copy
    visible: bool


@dataclass
class _Scan:
    max_row: int = 0
    three_letters: bool = False
    two_letters: bool = False
    positional: bool = False
    formulas: bool = False
    a1_valued: bool = False  # the sheet's first cell is A1 and holds a value


@dataclass
class Package:
    """The vetted copy of an upload: where it is, its visible sheets, and what the scan found in each."""

    path: Path
    sheets: list[SheetInfo]
    scans: dict[str, _Scan] = field(default_factory=dict)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attr(element, name: str) -> str | None:
    """An attribute by local name (namespaces differ between transitional and strict OOXML)."""
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return None


# ---- the container ---------------------------------------------------------------------------


def _damaged(file: str) -> InputError:
    return refuse(file, "文件已损坏或不完整（可能上传中断），无法作为 .xlsx 打开；请重新保存后上传。",
                  "The file is damaged or incomplete (perhaps a broken upload) and cannot be opened as .xlsx; save it again and re-upload.")


def _bad_member(file: str, name: str) -> InputError:
    shown = name.encode("unicode_escape").decode("ascii")[:120]
    return refuse(file, f"工作簿内部文件名“{shown}”不合规（含 ..、反斜杠、绝对路径、控制字符或重名），疑似恶意文件，已拒绝。",
                  f"The workbook holds a part named '{shown}' (with '..', a backslash, an absolute path, control "
                  "characters or a duplicate name): a possibly hostile file; refused.")


def member_name_ok(name: str) -> bool:
    """A zip member name the guard and every parser read the same way: relative, forward slashes,
    no empty, '.' or '..' segments, no drive letter or control characters."""
    if not name or name.startswith("/") or _BAD_NAME_CHAR.search(name) or _SCHEME.match(name):
        return False
    parts = name.split("/")
    if name.endswith("/"):  # a folder entry
        parts = parts[:-1]
    return all(p not in ("", ".", "..") for p in parts)


def _members(zf: zipfile.ZipFile, file: str, limits: Limits) -> dict[str, zipfile.ZipInfo]:
    members = zf.infolist()
    if len(members) > limits.max_zip_members:
        raise refuse(file, f"工作簿包含 {len(members)} 个内部文件，超过上限 {limits.max_zip_members}，已拒绝。",
                     f"The workbook holds {len(members)} internal parts, over the limit of {limits.max_zip_members}; refused.")
    by_name: dict[str, zipfile.ZipInfo] = {}
    folded: set[str] = set()
    for m in members:
        if not member_name_ok(m.filename) or m.filename in by_name or m.filename.lower() in folded:
            raise _bad_member(file, m.filename)
        by_name[m.filename] = m
        folded.add(m.filename.lower())
    if any(m.flag_bits & 0x1 for m in members):
        raise refuse(file, "工作簿内部文件被加密，无法读取；请取消密码后另存为 .xlsx。",
                     "Parts of the workbook are encrypted; remove the password and save as .xlsx.")
    total = sum(m.file_size for m in members)
    if total > limits.max_unzipped_bytes:
        raise _over_budget(file, total, limits)
    for m in members:
        if m.file_size > MiB and m.file_size > limits.max_ratio * max(m.compress_size, 1):
            raise refuse(file, f"工作簿内部文件 {m.filename} 的压缩比异常（{m.file_size / max(m.compress_size, 1):,.0f} 倍，疑似压缩炸弹），已拒绝。",
                         f"Part {m.filename} has an abnormal compression ratio ({m.file_size / max(m.compress_size, 1):,.0f}x, a possible zip bomb); refused.")
    return by_name


def _over_budget(file: str, size: int, limits: Limits) -> InputError:
    return refuse(file, f"工作簿解压后超过 {size / MiB:,.0f} MiB，超过上限 {limits.max_unzipped_bytes / MiB:,.0f} MiB（疑似压缩炸弹），已拒绝。",
                  f"The workbook unpacks to more than {size / MiB:,.0f} MiB, over the {limits.max_unzipped_bytes / MiB:,.0f} MiB limit (a possible zip bomb); refused.")


class _Inflater:
    """Inflates members from their raw compressed bytes, counting real sizes against the budget."""

    def __init__(self, raw, file: str, limits: Limits):
        self.raw, self.file, self.limits = raw, file, limits
        self.used = 0  # real bytes inflated so far, all parts together

    def chunks(self, m: zipfile.ZipInfo):
        """The member's real content in chunks of at most _CHUNK bytes; refuses as soon as it
        inflates beyond its declared size or the budget, and at the end unless size and CRC match."""
        if m.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise refuse(self.file, f"工作簿内部文件 {m.filename} 使用了不支持的压缩方式，已拒绝。",
                         f"Part {m.filename} uses an unsupported compression method; refused.")
        self.raw.seek(m.header_offset)
        head = self.raw.read(_LOCAL_HEADER.size)
        if len(head) != _LOCAL_HEADER.size:
            raise _damaged(self.file)
        fields = _LOCAL_HEADER.unpack(head)
        if fields[0] != _LOCAL_MAGIC:
            raise _damaged(self.file)
        name_len, extra_len = fields[-2], fields[-1]
        local_name = self.raw.read(name_len)
        if local_name != m.orig_filename.encode("utf-8" if m.flag_bits & 0x800 else "cp437", "replace"):
            raise _bad_member(self.file, m.filename)  # the local header names another part than the directory
        self.raw.seek(extra_len, io.SEEK_CUR)
        left = m.compress_size
        inflate = zlib.decompressobj(-15) if m.compress_type == zipfile.ZIP_DEFLATED else None
        real, crc = 0, 0
        while left:
            data = self.raw.read(min(_IN_CHUNK, left))
            if not data:
                raise _damaged(self.file)
            left -= len(data)
            pieces = [data] if inflate is None else self._inflate(inflate, data)
            for piece in pieces:
                real += len(piece)
                self.used += len(piece)
                if real > m.file_size:
                    raise refuse(self.file, f"工作簿内部文件 {m.filename} 解压后的实际大小超过其声明的 {m.file_size:,} 字节（文件头不实，疑似压缩炸弹），已拒绝。",
                                 f"Part {m.filename} inflates beyond its declared {m.file_size:,} bytes (its zip headers lie: a possible zip bomb); refused.")
                if self.used > self.limits.max_unzipped_bytes:
                    raise _over_budget(self.file, self.used, self.limits)
                crc = zlib.crc32(piece, crc)
                yield piece
            if inflate is not None and inflate.eof:
                break
        if (inflate is not None and not inflate.eof) or real != m.file_size or crc != m.CRC:
            raise refuse(self.file, f"工作簿内部文件 {m.filename} 已损坏（大小或校验和与声明不符），已拒绝。",
                         f"Part {m.filename} is damaged (its size or checksum differs from what the zip declares); refused.")

    @staticmethod
    def _inflate(inflate, data: bytes):
        out = inflate.decompress(data, _CHUNK)
        yield out
        while inflate.unconsumed_tail and not inflate.eof:
            yield inflate.decompress(inflate.unconsumed_tail, _CHUNK)

    def read(self, m: zipfile.ZipInfo, cap: int) -> bytes:
        """A small part whole (relationships, workbook.xml); refused beyond `cap` bytes."""
        if m.file_size > cap:
            raise refuse(self.file, f"工作簿内部文件 {m.filename} 过大（{m.file_size / MiB:,.1f} MiB），已拒绝。",
                         f"Part {m.filename} is too large ({m.file_size / MiB:,.1f} MiB); refused.")
        return b"".join(self.chunks(m))


def _parse_xml(data: bytes, part: str, file: str):
    try:
        return SafeET.fromstring(data)
    except DefusedXmlException as exc:
        raise refuse(file, f"工作簿的 {part} 含有 XML 实体/DTD 声明（可能是“实体炸弹”），已拒绝。",
                     f"{part} in the workbook declares XML entities/DTD (a possible entity bomb); refused.") from exc
    except SafeET.ParseError as exc:
        raise refuse(file, f"工作簿已损坏：{part} 无法读取。", f"The workbook is damaged: {part} cannot be read.") from exc


def _target(folder: str, rel, names: dict[str, zipfile.ZipInfo], file: str) -> str:
    """The member a relationship points at, resolved strictly: a target the parser might resolve
    to another member (`..`, `.`, backslash, a scheme, an external target) is refused, and the
    result must be a member's literal name."""
    target = rel.get("Target") or ""
    if (rel.get("TargetMode") or "").lower() == "external":
        raise _bad_target(file, target)
    path = target[1:] if target.startswith("/") else posixpath.join(folder, target) if folder else target
    if not member_name_ok(path) or path.endswith("/"):
        raise _bad_target(file, target)
    if path not in names:
        raise refuse(file, f"工作簿缺少内部文件 {path}，可能已损坏。", f"The workbook lacks its part {path}; it may be damaged.")
    return path


def _bad_target(file: str, target: str) -> InputError:
    shown = target.encode("unicode_escape").decode("ascii")[:120]
    return refuse(file, f"工作簿内部引用“{shown}”指向不合规的位置（含 ..、反斜杠或外部地址），疑似恶意文件，已拒绝。",
                  f"A relationship in the workbook points at '{shown}' (with '..', a backslash or an outside address): "
                  "a possibly hostile file; refused.")


def _rels(inflater: _Inflater, names, rels_part: str, folder: str, file: str, limits: Limits) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type suffix, member) of a .rels part (empty if there is none)."""
    if rels_part not in names:
        return {}
    out: dict[str, tuple[str, str]] = {}
    for rel in _parse_xml(inflater.read(names[rels_part], limits.max_structure_bytes), rels_part, file):
        kind = (rel.get("Type") or "").rsplit("/", 1)[-1]
        if kind in ("officeDocument", "worksheet", "sharedStrings", "styles"):
            out[rel.get("Id") or ""] = (kind, _target(folder, rel, names, file))
    return out


def vet_package(source: str | Path | bytes, file: str, limits: Limits, out: Path) -> Package:
    """Check an xlsx upload and write the vetted copy the parser may read to `out` (see the module doc)."""
    raw = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115 - closed below
    try:
        try:
            zf = zipfile.ZipFile(raw)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, struct.error) as exc:
            raise _damaged(file) from exc
        names = _members(zf, file, limits)
        inflater = _Inflater(raw, file, limits)
        root = _rels(inflater, names, "_rels/.rels", "", file, limits)
        workbook = next((p for kind, p in root.values() if kind == "officeDocument"), "xl/workbook.xml")
        if workbook not in names:
            raise refuse(file, "该压缩包不是 Excel 工作簿（缺少 workbook.xml），可能是 Word 等其他文件改了扩展名。",
                         "This zip is not an Excel workbook (no workbook.xml); perhaps another document renamed to .xlsx.")
        folder, base = posixpath.split(workbook)
        rels = _rels(inflater, names, posixpath.join(folder, "_rels", base + ".rels"), folder, file, limits)
        book = _parse_xml(inflater.read(names[workbook], limits.max_structure_bytes), workbook, file)
        listed = [e for e in book.iter() if _local(e.tag) == "sheet"]
        if len(listed) > limits.max_sheets:
            raise refuse(file, f"工作簿包含 {len(listed):,} 个工作表，超过上限 {limits.max_sheets}，已拒绝。",
                         f"The workbook lists {len(listed):,} sheets, over the limit of {limits.max_sheets}; refused.")
        date1904 = any(_local(e.tag) == "workbookPr" and (_attr(e, "date1904") or "").lower() in ("1", "true")
                       for e in book.iter())
        sheets: list[tuple[str, str, bool]] = []
        seen_parts: set[str] = set()
        for element in listed:
            kind, part = rels.get(_attr(element, "id") or "", ("", ""))
            if kind != "worksheet":
                continue  # chart sheets, dialog sheets: no data to read
            if part in seen_parts:
                raise refuse(file, f"工作簿中多个工作表指向同一内部文件 {part}，疑似恶意文件，已拒绝。",
                             f"Several sheets of the workbook point at the same part {part}: a possibly hostile file; refused.")
            seen_parts.add(part)
            sheets.append((element.get("name") or "", part, (element.get("state") or "visible") == "visible"))
        extras = {kind: part for kind, part in rels.values() if kind in ("sharedStrings", "styles")}
        return _repack(inflater, names, sheets, extras, date1904, file, out)
    finally:
        raw.close()


def _repack(inflater: _Inflater, names, sheets, extras: dict[str, str], date1904: bool, file: str, out: Path) -> Package:
    visible = [(name, part) for name, part, shown in sheets if shown]
    infos, scans = [], {}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED, allowZip64=True) as z:
        for k, (name, part) in enumerate(visible, start=1):
            target = f"xl/worksheets/sheet{k}.xml"
            scanner = _Scanner(file, name)
            with z.open(target, "w", force_zip64=True) as w:
                _copy_scanning(inflater.chunks(names[part]), w, scanner)
            scans[name] = scanner.finish()
            infos.append(SheetInfo(name, target, True))
        for kind, target in (("sharedStrings", "xl/sharedStrings.xml"), ("styles", "xl/styles.xml")):
            if kind in extras:
                first = True
                with z.open(target, "w", force_zip64=True) as w:
                    for piece in inflater.chunks(names[extras[kind]]):
                        if first and any(marker in piece[:65536] for marker in _DTD):
                            raise refuse(file, f"工作簿的 {extras[kind]} 含有 XML 实体/DTD 声明（可能是“实体炸弹”），已拒绝。",
                                         f"{extras[kind]} in the workbook declares XML entities/DTD (a possible entity bomb); refused.")
                        first = False
                        w.write(piece)
        for part, text in _structure(visible, extras, date1904).items():
            z.writestr(part, text)
    return Package(out, infos, scans)


def _copy_scanning(pieces, sink, scanner: _Scanner) -> None:
    """Write `pieces` to `sink` and feed them to `scanner`, the inflating and writing (zlib and I/O,
    which release the GIL) in a thread beside the regex scan: on a million-row sheet the two
    overlap on two cores instead of adding up. A refusal on either side stops both."""
    queue: Queue = Queue(maxsize=2)
    stop = threading.Event()
    failure: list[BaseException] = []

    def produce() -> None:
        try:
            for piece in pieces:
                sink.write(piece)
                if stop.is_set():
                    return
                queue.put(piece)
        except BaseException as exc:  # handed to the scanning thread, which raises it
            failure.append(exc)
        finally:
            queue.put(None)

    worker = threading.Thread(target=produce, name="sanwei-inflate", daemon=True)
    worker.start()
    try:
        while (piece := queue.get()) is not None:
            scanner.feed(piece)
    finally:
        stop.set()
        while worker.is_alive():  # let a producer blocked on a full queue finish
            try:
                queue.get(timeout=0.1)
            except Empty:
                pass
        worker.join()
    if failure:
        raise failure[0]


def _structure(visible: list[tuple[str, str]], extras: dict[str, str], date1904: bool) -> dict[str, str]:
    """The package's own parts, as Excel lays them out, naming only the vetted parts."""
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    overrides = [f'<Override PartName="/xl/workbook.xml" ContentType="{CT}.sheet.main+xml"/>']
    overrides += [f'<Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="{CT}.worksheet+xml"/>'
                  for k in range(1, len(visible) + 1)]
    rels = [f'<Relationship Id="rId{k}" Type="{REL}/worksheet" Target="worksheets/sheet{k}.xml"/>'
            for k in range(1, len(visible) + 1)]
    if "sharedStrings" in extras:
        overrides.append(f'<Override PartName="/xl/sharedStrings.xml" ContentType="{CT}.sharedStrings+xml"/>')
        rels.append(f'<Relationship Id="rIdS" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>')
    if "styles" in extras:
        overrides.append(f'<Override PartName="/xl/styles.xml" ContentType="{CT}.styles+xml"/>')
        rels.append(f'<Relationship Id="rIdT" Type="{REL}/styles" Target="styles.xml"/>')
    sheets = "".join(f'<sheet name={quoteattr(name)} sheetId="{k}" r:id="rId{k}"/>'
                     for k, (name, _) in enumerate(visible, start=1))
    return {
        "[Content_Types].xml": f'{head}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                               '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                               '<Default Extension="xml" ContentType="application/xml"/>' + "".join(overrides) + "</Types>",
        "_rels/.rels": f'{head}<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
                       'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'{head}<workbook xmlns="{MAIN}" xmlns:r="{REL}">'
                           + ('<workbookPr date1904="1"/>' if date1904 else "") + f"<sheets>{sheets}</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": f'{head}<Relationships xmlns="{PKG_REL}">' + "".join(rels) + "</Relationships>",
    }


# ---- a sheet's extent --------------------------------------------------------------------------


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


class _Scanner:
    """The byte scan of a sheet, fed its chunks as they are copied. Chunks are cut just after a
    '>': none of the scanned patterns contains '>' before its end, so none straddles two."""

    def __init__(self, file: str, sheet: str):
        self.file, self.sheet = file, sheet
        self.scan = _Scan()
        self.carry = b""
        self.first = True

    def feed(self, piece: bytes) -> None:
        cut = piece.rfind(b">") + 1
        if not cut and len(self.carry) + len(piece) <= _CHUNK:  # no '>' yet: keep collecting
            self.carry += piece
            return
        cut = cut or len(piece)  # no '>' in a whole chunk: not a sheet a person wrote
        chunk = self.carry + piece[:cut] if self.carry else piece[:cut] if cut < len(piece) else piece
        self.carry = piece[cut:]
        self._chunk(chunk)

    def _chunk(self, chunk: bytes) -> None:
        scan = self.scan
        # a DTD can only stand in the prolog; the first chunk holds it
        if self.first and any(marker in chunk for marker in _DTD):
            raise refuse(self.file, f"工作表“{self.sheet}”含有 XML 实体/DTD 声明（可能是“实体炸弹”），已拒绝。",
                         f"Sheet '{self.sheet}' declares XML entities/DTD (a possible entity bomb); refused.", sheet=self.sheet)
        if self.first and (at := _FIRST_CELL.search(chunk)):
            scan.a1_valued = bool(_A1_VALUED.match(chunk, at.start()))
            self.first = False
        scan.max_row = max(scan.max_row, _chunk_max_row(chunk))
        if not scan.three_letters and _TWO_LETTERS.search(chunk):
            scan.two_letters = True
            scan.three_letters = bool(_THREE_LETTERS.search(chunk))
        scan.positional = scan.positional or bool(_POSITIONAL.search(chunk) or _PREFIXED.search(chunk))
        scan.formulas = scan.formulas or bool(_FORMULA.search(chunk))

    def finish(self) -> _Scan:
        if self.carry:
            self._chunk(self.carry)
        return self.scan


def _part_chunks(zf: zipfile.ZipFile, part: str):
    carry = b""
    with zf.open(part) as stream:
        while chunk := stream.read(_CHUNK):
            data = carry + chunk
            cut = data.rfind(b">") + 1 or len(data)
            yield data[:cut]
            carry = data[cut:]
    if carry:
        yield carry


def _max_column(zf: zipfile.ZipFile, info: SheetInfo) -> tuple[int, str]:
    letters: set[bytes] = set()
    for chunk in _part_chunks(zf, info.part):
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


def check_sheet(package: Package, info: SheetInfo, file: str, limits: Limits) -> None:
    """Refuse a sheet whose used area is over the limits, or whose formulas have no cached value.

    The byte scan made while copying gives the largest row number; the widest column is bounded by
    the number of letters in cell references and computed exactly (from the vetted copy) only when
    that bound matters."""
    scan = package.scans[info.name]
    max_row, widest = scan.max_row, None
    bound = 16_384 if scan.three_letters else 702 if scan.two_letters else 26
    uncached: list[str] = []
    with zipfile.ZipFile(package.path) as zf:
        if bound > limits.max_columns or bound * max_row > limits.max_cells:
            max_col, widest = _max_column(zf, info)
        else:
            max_col = bound  # an upper bound, small enough not to matter
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
