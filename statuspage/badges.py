"""Status badges drawn as shields.io draws them (the flat, flat-square and for-the-badge
styles) and as its "endpoint" JSON, so a README can show either.

Text widths come from pybadges' table of DejaVu Sans advance widths and kerning pairs at
110 px (its data file, read without importing the package, whose imports are deprecated); the
SVG draws at 110 px scaled by 0.1, with `textLength` so any fallback font fits the same box.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from flask import render_template

from statuspage.services.page.badges import Badge

BadgeStyle = Literal["flat", "flat-square", "for-the-badge"]
STYLES: tuple[BadgeStyle, ...] = ("flat", "flat-square", "for-the-badge")
CONTENT_TYPE = "image/svg+xml; charset=utf-8"
#: The label's background (shields' default), white text on it: 7.5:1.
LABEL_COLOUR = "#555"
#: For-the-badge is drawn in bold capitals with spaced letters: DejaVu Sans Bold runs about
#: this much wider than the regular face the table measures.
BOLD_WIDTH = 1.1


@dataclass(frozen=True)
class WidthTable:
    widths: dict[str, float]
    kerning: dict[str, float]
    mean: float

    def measure(self, text: str) -> float:
        """The advance width of *text* at 110 px, kerning included."""
        width = 0.0
        for index, char in enumerate(text):
            width += self.widths.get(char, self.mean)
            width -= self.kerning.get(text[index : index + 2], 0)
        return width


@lru_cache(maxsize=1)
def width_table() -> WidthTable:
    """pybadges' measured table, loaded once per process."""
    spec = importlib.util.find_spec("pybadges")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pybadges is not installed (requirements.txt)")
    path = Path(next(iter(spec.submodule_search_locations))) / "default-widths.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return WidthTable(
        data["character-lengths"], data["kerning-pairs"], data["mean-character-length"]
    )


@dataclass(frozen=True)
class Part:
    """One side of a badge: its text and where it is drawn (x and widths at the 10x scale of
    the text, so they are whole numbers as shields writes them)."""

    text: str
    left: int  # px
    width: int  # px
    text_length: int  # 1/10 px

    @property
    def middle(self) -> int:
        return self.left * 10 + self.width * 5


def _parts(badge: Badge, style: BadgeStyle) -> list[tuple[Part, str]]:
    """The label (when not empty) and the message, each with its background colour."""
    table = width_table()
    padding = 9 if style == "for-the-badge" else 5
    parts: list[tuple[Part, str]] = []
    left = 0
    for text, colour in ((badge.label, LABEL_COLOUR), (badge.message, badge.colour)):
        if not text:
            continue
        if style == "for-the-badge":
            text = text.upper()
            length = table.measure(text) * BOLD_WIDTH + 12.5 * len(text)
        else:
            length = table.measure(text)
        width = round(length / 10) + 2 * padding
        parts.append((Part(text, left, width, round(length)), colour))
        left += width
    return parts


def render_badge_svg(badge: Badge, style: BadgeStyle = "flat") -> str:
    """The badge as an SVG document, its words also its accessible name and title."""
    parts = _parts(badge, style)
    words = f"{badge.label}: {badge.message}" if badge.label else badge.message
    return render_template(
        "badges/badge.svg",
        parts=parts,
        style=style,
        width=sum(part.width for part, _ in parts),
        height=28 if style == "for-the-badge" else 20,
        words=words,
    )


def badge_endpoint_json(badge: Badge, style: BadgeStyle | None = None) -> dict[str, Any]:
    """shields.io's endpoint schema (https://shields.io/badges/endpoint-badge), version 1."""
    data: dict[str, Any] = {
        "schemaVersion": 1,
        "label": badge.label,
        "message": badge.message,
        "color": badge.colour,
        "labelColor": LABEL_COLOUR,
    }
    if style is not None:
        data["style"] = style
    return data
