"""Cheap checks of the layering rules in docs/architecture.md."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "statuspage"


def sources(*folders: str):
    for folder in folders:
        yield from (PACKAGE / folder).rglob("*.py")


def imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_views_never_commit_or_talk_smtp():
    for path in sources("public", "admin", "auth", "api"):
        text = path.read_text()
        assert "session.commit" not in text, path
        assert "smtplib" not in text, path


def test_services_never_touch_the_request():
    forbidden = {
        "flask.request",
        "flask.session",
        "flask.flash",
        "flask.url_for",
        "flask_login.current_user",
    }
    for path in sources("services"):
        assert not imported_names(path) & forbidden, path


def test_no_web_entry_point_builds_a_scheduler():
    for path in [
        ROOT / "wsgi.py",
        PACKAGE / "__init__.py",
        *sources("public", "admin", "auth", "api"),
    ]:
        assert (
            "statuspage.scheduler" not in imported_names(path)
            and "apscheduler" not in path.read_text()
        ), path


def test_every_function_signature_is_annotated():
    missing = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is None:
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert missing == []


def test_mail_composition_asks_the_notice_instead_of_switching_on_its_kind():
    view_models = (ROOT / "statuspage" / "services" / "page" / "view_models.py").read_text()
    assert "def status_label(" not in view_models.replace("    def status_label(", "")
    for module in ("outbox/compose.py", "subscribers/digests.py"):
        source = (ROOT / "statuspage" / "services" / module).read_text()
        assert "isinstance(notice" not in source, module
        assert "Maintenance)" not in source and "Incident)" not in source, module
