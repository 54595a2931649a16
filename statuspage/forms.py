"""The base of every form: control characters never reach validation or the services."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import IntegerField

# New in WTForms 3.3, which types-WTForms (3.2) does not know yet: the forms get it from here,
# so this is the one place it is typed as Any.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]

from statuspage.params import parse_int
from statuspage.services.inputs import strip_controls

__all__ = ["Form", "SelectChoice"]


def _strip_controls(value: Any) -> Any:
    return strip_controls(value) if isinstance(value, str) else value


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            options["filters"] = [*unbound_field.kwargs.get("filters", ()), _strip_controls]
            return unbound_field.bind(form=form, **options)


class PageField(IntegerField):
    """?page=N read like every other query number (params.parse_int): ASCII digits, 1-100000."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or valuelist[0] == "":
            return
        self.data = parse_int(valuelist[0], 1, 100_000)
        if self.data is None:
            raise ValueError("Page must be a whole number from 1 to 100000.")
