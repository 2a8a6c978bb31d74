"""Every file in the hostile corpus gets a clear, located refusal naming the file — never a
traceback or a hung process (issue 3 §3)."""

from pathlib import Path

import pytest

from scoring.reader import read_table
from scoring.report import InputError

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"

# file -> words the English message must contain; None: readable, with located warnings
EXPECTED = {
    "broken_sheet_xml.xlsx": "cannot be read",
    "columns_16384.xlsx": "column XFD",
    "control_chars.xlsx": None,
    "csv_renamed.xlsx": "holds text (CSV)",
    "docx_renamed.xlsx": "not an Excel workbook",
    "empty_workbook.xlsx": "no data",
    "entity_bomb_sheet.xlsx": "entity bomb",
    "entity_bomb_workbook.xlsx": "entity bomb",
    "formulas_without_cache.xlsx": "formula without a saved result",
    "html_table.xlsx": "HTML",
    "legacy_excel97.xls": "legacy Excel 97-2003",
    "password_protected.xlsx": "password-protected",
    "positional_area_bomb.xlsx": "limit of 30,000,000 cells",
    "random_bytes.csv": "binary data",
    "sparse_area_bomb.xlsx": "limit of 30,000,000 cells",
    "truncated.xlsx": "damaged or incomplete",
    "xlsx_renamed.csv": "rename it to .xlsx",
    "zero_bytes.xlsx": "empty",
    "zip_bomb_declared.xlsx": "zip bomb",
    "zip_bomb_ratio.xlsx": "zip bomb",
}


def test_corpus_is_covered():
    assert sorted(p.name for p in HOSTILE.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("as_bytes", [False, True])
def test_hostile_file(name, as_bytes):
    path = HOSTILE / name
    source = path.read_bytes() if as_bytes else path
    if EXPECTED[name] is None:
        table = read_table(source, name)
        assert table.report.warnings and not table.report.errors
        return
    with pytest.raises(InputError) as err:
        read_table(source, name)
    issues = err.value.report.errors
    assert issues and all(i.file == name and i.message_zh and i.message_en for i in issues)
    assert EXPECTED[name] in issues[0].message_en


def test_control_characters_are_removed_and_located():
    table = read_table(HOSTILE / "control_chars.xlsx", "c.xlsx")
    assert table.data.values.tolist() == [["U01", "58"], ["U02", "7"]]
    assert [(w.row, w.column) for w in table.report.warnings] == [(2, "A"), (2, "B"), (3, "A")]


def test_formula_errors_name_every_cell():
    with pytest.raises(InputError) as err:
        read_table(HOSTILE / "formulas_without_cache.xlsx", "f.xlsx")
    assert [(i.row, i.column) for i in err.value.report.errors] == [(2, "B"), (3, "B")]
