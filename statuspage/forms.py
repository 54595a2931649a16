"""The base of every form: control characters never reach validation or the services."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm

from statuspage.services.inputs import strip_controls


def _strip_controls(value: Any) -> Any:
    return strip_controls(value) if isinstance(value, str) else value


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            options["filters"] = [*unbound_field.kwargs.get("filters", ()), _strip_controls]
            return unbound_field.bind(form=form, **options)
