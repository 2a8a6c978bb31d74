"""Evidence files of an appeal (申诉材料): hostile until proven otherwise.

A file is accepted only when its *content* is one of the allowed kinds (PDF, JPEG, PNG, or an
Office Open XML workbook or document) and its name's extension agrees; sizes and counts are
bounded; Office files are opened as zip containers with their sizes checked before anything is
read (no zip bomb, no macro-enabled part). Accepted files are kept as bytes in the store, never
executed or rendered: the dashboard offers them only as downloads, as attachments, with the
content type recognised here (never the one the browser claimed).
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from scoring.limits import MiB
from scoring.text import SanweiError

MAX_FILES = 5
MAX_FILE_BYTES = 10 * MiB
MAX_TOTAL_BYTES = 25 * MiB
MAX_UNZIPPED_BYTES = 100 * MiB   # an Office file's parts together, as declared
MAX_ZIP_MEMBERS = 2_000
MAX_NAME_CHARS = 120

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
KINDS = {  # kind -> (content type, extensions accepted for it)
    "pdf": ("application/pdf", (".pdf",)),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg")),
    "png": ("image/png", (".png",)),
    "xlsx": (XLSX, (".xlsx",)),
    "docx": (DOCX, (".docx",)),
}
EXTENSIONS = sorted({e.lstrip(".") for _, exts in KINDS.values() for e in exts})


class EvidenceRefused(SanweiError, ValueError):
    """An evidence file that is not accepted; nothing was stored."""


@dataclass(frozen=True)
class Evidence:
    file_name: str      # a safe display name (no path, no control characters)
    content_type: str   # from the content, never from the client
    sha256: str
    data: bytes


def safe_name(name: str) -> str:
    """The last path component, without control or format characters, at most MAX_NAME_CHARS long."""
    base = re.split(r"[\\/]", str(name or ""))[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] not in "CZ"
                   or ch == " ").strip(" .")
    if not base:
        base = "file"
    if len(base) > MAX_NAME_CHARS:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: MAX_NAME_CHARS - len(ext) - 1] + dot + ext) if dot and len(ext) <= 5 else base[:MAX_NAME_CHARS]
    return base


def _office_kind(data: bytes, name: str) -> str | None:
    """"xlsx" or "docx" when `data` is a well-formed, bounded Office Open XML container without macros."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            if len(infos) > MAX_ZIP_MEMBERS or sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:
                raise EvidenceRefused(f"“{name}”解压后过大", f"{name!r} is too large once unzipped")
            names = {i.filename for i in infos}
            if "[Content_Types].xml" not in names:
                return None
            if any(n.lower().endswith(("vbaproject.bin", ".bin")) for n in names):
                raise EvidenceRefused(f"“{name}”含有宏或嵌入的程序，不予接收",
                                      f"{name!r} contains macros or embedded programs: refused")
            types = z.read("[Content_Types].xml")[:200_000]
    except zipfile.BadZipFile:
        return None
    if b"macroEnabled" in types:
        raise EvidenceRefused(f"“{name}”是启用宏的文件，不予接收", f"{name!r} is macro-enabled: refused")
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "word/document.xml" in names:
        return "docx"
    return None


def sniff(data: bytes, name: str = "") -> str | None:
    """The allowed kind `data` is (by its content), or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"PK\x03\x04"):
        return _office_kind(data, name)
    return None


def check(files: list[tuple[str, bytes]]) -> list[Evidence]:
    """Every file accepted, or EvidenceRefused naming the first one that is not."""
    if len(files) > MAX_FILES:
        raise EvidenceRefused(f"最多上传 {MAX_FILES} 个附件", f"at most {MAX_FILES} files may be attached")
    total = sum(len(d) for _, d in files)
    if total > MAX_TOTAL_BYTES:
        raise EvidenceRefused(f"附件合计不能超过 {MAX_TOTAL_BYTES // MiB} MB",
                              f"the files together may not exceed {MAX_TOTAL_BYTES // MiB} MB")
    out = []
    allowed = "、".join(EXTENSIONS)
    for raw_name, data in files:
        name = safe_name(raw_name)
        if not data:
            raise EvidenceRefused(f"“{name}”是空文件", f"{name!r} is empty")
        if len(data) > MAX_FILE_BYTES:
            raise EvidenceRefused(f"“{name}”超过 {MAX_FILE_BYTES // MiB} MB", f"{name!r} exceeds {MAX_FILE_BYTES // MiB} MB")
        kind = sniff(data, name)
        if kind is None:
            raise EvidenceRefused(f"“{name}”的内容不是允许的文件类型（{allowed}）",
                                  f"{name!r} is not an allowed kind of file by its content ({', '.join(EXTENSIONS)})")
        content_type, exts = KINDS[kind]
        if not name.lower().endswith(exts):
            raise EvidenceRefused(f"“{name}”的扩展名与内容（{kind}）不符", f"{name!r}: the extension does not match its content ({kind})")
        out.append(Evidence(name, content_type, hashlib.sha256(data).hexdigest(), data))
    return out
