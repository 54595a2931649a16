"""CSV cells a spreadsheet will not run: one escape for all exports, its inverse for imports."""

from __future__ import annotations

from typing import Any

#: Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: Any) -> str:
    """Neutralise a cell a spreadsheet would run as a formula, with a leading apostrophe."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def unescape_formula(value: str) -> str:
    """Undo escape_formula, so an exported file imports as it was."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value
