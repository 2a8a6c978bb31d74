"""The parser sees only what the guard checked (issue 10 §1): member names and relationship targets
are validated, real sizes are enforced while inflating, sheets and parts are limited, and the
parser reads a freshly laid-out copy holding only the vetted parts."""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

import pytest

from scoring.limits import Limits
from scoring.reader import read_here, read_table
from scoring.report import InputError
from scoring.xlsx_guard import member_name_ok, vet_package
from tests.fixtures import make_fixtures as mf

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
GOOD_SHEET = (mf.SHEET_HEAD + mf.SAFE_ROWS + mf.SHEET_TAIL).encode()


def package(path: Path, extra: dict[str, bytes] | None = None, rels: str = mf.WORKBOOK_RELS,
            workbook: str = mf.WORKBOOK) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in mf.package_parts(GOOD_SHEET, rels, workbook):
            z.writestr(name, data)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


def refused(path: Path, words: str, limits: Limits | None = None) -> None:
    with pytest.raises(InputError) as err:
        read_here(path, path.name, limits=limits or Limits())
    assert words in err.value.report.errors[0].message_en, err.value.report.errors[0].message_en


@pytest.mark.parametrize("name", ["xl/../xl/worksheets/sheet1.xml", "xl\\worksheets\\sheet1.xml", "/xl/x.xml",
                                  "./xl/x.xml", "xl//x.xml", "C:/x.xml", "xl/x\x01.xml"])
def test_member_names_that_two_readers_could_resolve_differently_are_refused(name, tmp_path):
    assert not member_name_ok(name)
    refused(package(tmp_path / "a.xlsx", {name: GOOD_SHEET}), "possibly hostile")


def test_duplicate_member_names_are_refused_also_ignoring_case(tmp_path):
    path = package(tmp_path / "a.xlsx", {"XL/worksheets/sheet1.xml": b"<x/>"})
    refused(path, "possibly hostile")
    with pytest.warns(UserWarning):  # zipfile lets a writer repeat a name
        package(tmp_path / "b.xlsx", {"xl/worksheets/sheet1.xml": mf.AREA_BOMB.encode()})
    refused(tmp_path / "b.xlsx", "possibly hostile")


@pytest.mark.parametrize("target", ["../xl/worksheets/sheet1.xml", "worksheets\\sheet1.xml", "http://host/x.xml",
                                    "worksheets/./sheet1.xml"])
def test_relationship_targets_are_resolved_strictly(target, tmp_path):
    rels = mf.WORKBOOK_RELS.replace('Target="worksheets/sheet1.xml"', f'Target="{target}"')
    refused(package(tmp_path / "a.xlsx", rels=rels), "possibly hostile")


def test_a_part_whose_zip_headers_lie_is_refused_while_inflating():
    """The declared size and CRC cover a harmless prefix; the real stream goes on to ALL999999.
    Python's zipfile stops at the declared size, so the old guard passed it and the parser aborted."""
    refused(HOSTILE / "zip_headers_lie.xlsx", "zip headers lie")
    refused(HOSTILE / "zip_inflates_past_budget.xlsx", "inflates beyond its declared 1,000 bytes")


def test_size_or_crc_that_do_not_match_are_refused(tmp_path):
    parts = [(n, mf.deflate(d), zlib.crc32(d), len(d)) for n, d in mf.package_parts(GOOD_SHEET)]
    name, data, crc, size = parts[-1]
    mf.lying_zip(tmp_path / "bigger.xlsx", [*parts[:-1], (name, data, crc, size + 10)])  # declares more than it holds
    refused(tmp_path / "bigger.xlsx", "size or checksum differs")
    mf.lying_zip(tmp_path / "crc.xlsx", [*parts[:-1], (name, data, crc ^ 1, size)])
    refused(tmp_path / "crc.xlsx", "size or checksum differs")


def test_the_real_inflated_size_counts_against_the_budget(tmp_path):
    sheet = (mf.SHEET_HEAD + mf.SAFE_ROWS + " " * 300_000 + mf.SHEET_TAIL).encode()
    with zipfile.ZipFile(tmp_path / "a.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in mf.package_parts(sheet):
            z.writestr(name, data)
    read_here(tmp_path / "a.xlsx", "a.xlsx")
    refused(tmp_path / "a.xlsx", "limit", Limits(max_unzipped_bytes=200_000, max_ratio=10**9))


def test_sheets_are_limited_and_may_not_share_a_part(tmp_path):
    refused(HOSTILE / "sheets_20000_one_part.xlsx", "over the limit of 255")
    two = mf.WORKBOOK.replace('<sheet name="S" sheetId="1" r:id="rId1"/>',
                              '<sheet name="A" sheetId="1" r:id="rId1"/><sheet name="B" sheetId="2" r:id="rId2"/>')
    rels = mf.WORKBOOK_RELS.replace("</Relationships>", '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/'
                                    'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
    refused(package(tmp_path / "a.xlsx", rels=rels, workbook=two), "same part")


def test_the_parser_gets_a_fresh_copy_with_only_the_vetted_parts(tmp_path):
    """Macros, drawings, hidden sheets and the upload's own relationships never reach the parser."""
    hidden = mf.WORKBOOK.replace('<sheet name="S" sheetId="1" r:id="rId1"/>',
                                 '<sheet name="S" sheetId="1" r:id="rId1"/><sheet name="H" sheetId="2" state="hidden" r:id="rId2"/>')
    rels = mf.WORKBOOK_RELS.replace("</Relationships>", '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/'
                                    'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/></Relationships>')
    src = package(tmp_path / "a.xlsx", {"xl/vbaProject.bin": b"\x00" * 100, "xl/drawings/drawing1.xml": b"<x/>",
                                        "xl/worksheets/sheet2.xml": GOOD_SHEET}, rels=rels, workbook=hidden)
    vetted = vet_package(src, "a.xlsx", Limits(), tmp_path / "vetted.xlsx")
    with zipfile.ZipFile(vetted.path) as z:
        assert sorted(z.namelist()) == ["[Content_Types].xml", "_rels/.rels", "xl/_rels/workbook.xml.rels",
                                        "xl/workbook.xml", "xl/worksheets/sheet1.xml"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
        assert z.read("xl/worksheets/sheet1.xml") == GOOD_SHEET
    assert [s.name for s in vetted.sheets] == ["S"]
    assert read_table(src, "a.xlsx").data.values.tolist() == [["U01", "1"]]


def test_sheet_names_and_dates_survive_the_copy(tmp_path):
    """The copy keeps sheet names (also with XML-special characters) and the 1904 date system."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "实绩 & <数据>"
    ws.append(["单位编码", "日期"])
    ws.append(["U01", 5])
    wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    buf = io.BytesIO()
    wb.save(buf)
    vetted = vet_package(buf.getvalue(), "d.xlsx", Limits(), tmp_path / "v.xlsx")
    assert [s.name for s in vetted.sheets] == ["实绩 & <数据>"]
    with zipfile.ZipFile(vetted.path) as z:
        assert b'date1904="1"' in z.read("xl/workbook.xml")
    assert read_table(buf.getvalue(), "d.xlsx").sheet == "实绩 & <数据>"
