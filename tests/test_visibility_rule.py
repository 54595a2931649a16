"""One visibility rule: only statuspage/visibility.py compares visibilities and audiences.

Every other module asks it (`component_visible`, `notice_visible_clause`, `update_visible`, ...),
so a read path cannot drift from the others. This walks the syntax tree of every module and fails
on a comparison (`is`, `is not`, `==`, `!=`, `in`, `not in`, `.in_(...)`) that involves
`Visibility.PUBLIC`/`Visibility.INTERNAL`, `.visibilities` or a `.visibility` attribute.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "statuspage"
#: The rule itself, and the enum that defines what each audience sees.
ALLOWED = {PACKAGE / "visibility.py", PACKAGE / "enums.py"}
COMPARISONS = (ast.Is, ast.IsNot, ast.Eq, ast.NotEq, ast.In, ast.NotIn)


def _mentions_visibility(node: ast.AST) -> bool:
    """Whether *node* reads a visibility: `x.visibility`, `audience.visibilities` or a
    `Visibility` member."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Attribute):
            if inner.attr in ("visibility", "visibilities"):
                return True
            if (
                inner.attr in ("PUBLIC", "INTERNAL")
                and isinstance(inner.value, ast.Name)
                and inner.value.id == "Visibility"
            ):
                return True
    return False


def visibility_comparisons(source: str) -> list[int]:
    """Line numbers of hand-written visibility comparisons in *source*."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            if any(isinstance(op, COMPARISONS) for op in node.ops) and any(
                _mentions_visibility(operand) for operand in [node.left, *node.comparators]
            ):
                lines.append(node.lineno)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "in_"
            and any(_mentions_visibility(part) for part in [node.func.value, *node.args])
        ):
            lines.append(node.lineno)
    return sorted(lines)


def test_only_the_visibility_module_compares_visibilities():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path in ALLOWED:
            continue
        for line in visibility_comparisons(path.read_text()):
            found.append(f"{path.relative_to(ROOT)}:{line}")
    assert found == [], "ask statuspage/visibility.py instead:\n" + "\n".join(found)


def test_the_checker_catches_every_shape_of_comparison():
    sample = """
if component.visibility is Visibility.PUBLIC:
    pass
ok = notice.visibility is not Visibility.INTERNAL
ok = update.visibility == "public"
ok = group.visibility.value != "internal"
ok = c.visibility in audience.visibilities
ok = Visibility.PUBLIC not in allowed
query = sa.select(Notice).where(Notice.visibility.in_(audience.visibilities))
query = sa.select(Notice).where(Notice.visibility == Visibility.PUBLIC)
"""
    assert visibility_comparisons(sample) == [2, 4, 5, 6, 7, 8, 9, 10]


def test_the_checker_leaves_defaults_and_values_alone():
    sample = """
def create(visibility: Visibility = Visibility.PUBLIC) -> None:
    component.visibility = Visibility(visibility)
    row = {"visibility": component.visibility.value}
    Component(visibility=Visibility.INTERNAL)
    if component_visible(component, Audience.PUBLIC) and c.group_id == group.id:
        pass
"""
    assert visibility_comparisons(sample) == []
