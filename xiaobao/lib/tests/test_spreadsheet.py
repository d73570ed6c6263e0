import pytest

from xiaobao.lib.spreadsheet import escape_formula, escape_row


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "＝1+1"],
)
def test_formula_starts_become_text(text):
    assert escape_formula(text) == "'" + text


@pytest.mark.parametrize("value", ["信用卡年费", "2026-01-05", "a=b", 42, -3, None, 1.5])
def test_other_values_are_unchanged(value):
    # Numbers stay numbers (a negative amount is not a formula): only text is escaped.
    assert escape_formula(value) == value


def test_escape_row():
    assert escape_row(["=1", "ok", 3]) == ["'=1", "ok", 3]
