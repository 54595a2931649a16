"""The public blueprint: the status page, its feeds and API-free pages, for both audiences."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("public", __name__)
