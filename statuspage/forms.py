"""The base of every form: control characters never reach validation or the services."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm

# New in WTForms 3.3, which types-WTForms (3.2) does not know yet: the forms get it from here,
# so this is the one place it is typed as Any.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]

from statuspage.services.inputs import strip_controls

__all__ = ["Form", "SelectChoice"]


def _strip_controls(value: Any) -> Any:
    return strip_controls(value) if isinstance(value, str) else value


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            options["filters"] = [*unbound_field.kwargs.get("filters", ()), _strip_controls]
            return unbound_field.bind(form=form, **options)
