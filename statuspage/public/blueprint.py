"""The public blueprint: the status page, its feeds and API-free pages, for both audiences."""

from __future__ import annotations

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from statuspage.params import MonthConverter

bp = Blueprint("public", __name__)


@bp.record_once
def _add_converters(state: BlueprintSetupState) -> None:
    """The history's path form (`/history/2026-11/`) names months; registered before the
    blueprint's rules are."""
    state.app.url_map.converters["month"] = MonthConverter
