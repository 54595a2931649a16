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


# ---- views do one thing ---------------------------------------------------------------------

ROUTE_DECORATORS = {"route", "get", "post", "put", "patch", "delete"}
MAX_VIEW_LINES = 25
#: Views allowed to be longer, each with the reason. Keep this list short.
LONG_VIEWS: dict[str, str] = {}


def route_functions():
    """Every function registered as a route in the blueprints, with its module's path."""
    for path in sources("admin", "public", "auth", "api"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Call)
                and isinstance(d.func, ast.Attribute)
                and d.func.attr in ROUTE_DECORATORS
                for d in node.decorator_list
            ):
                yield path, node


def body_lines(function: ast.FunctionDef) -> int:
    """Lines of the body, its docstring left out."""
    body = function.body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return body[-1].end_lineno - body[0].lineno + 1 if body else 0


def view_name(path: Path, function: ast.FunctionDef) -> str:
    return f"{path.relative_to(PACKAGE).with_suffix('')}.{function.name}".replace("/", ".")


def test_there_are_views_to_check():
    names = {view_name(path, function) for path, function in route_functions()}
    assert {"admin.settings.settings", "api.manage.create_incident", "auth.views.login"} <= names
    assert len(names) > 60


def test_no_view_is_longer_than_25_lines():
    too_long = {
        view_name(path, function): body_lines(function)
        for path, function in route_functions()
        if body_lines(function) > MAX_VIEW_LINES
    }
    assert sorted(too_long.keys() - LONG_VIEWS.keys()) == [], too_long
    assert sorted(LONG_VIEWS.keys() - too_long.keys()) == []  # no stale entries
    assert all(len(reason) > 20 for reason in LONG_VIEWS.values())


def service_writers() -> set[str]:
    """module.function of every service function that opens a unit of work itself."""
    writers = set()
    for path in sources("services"):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name)
                and call.func.id == "unit_of_work"
                for call in ast.walk(node)
            ):
                writers.add(f"{module}.{node.name}")
    return writers


def service_aliases(tree: ast.Module) -> dict[str, str]:
    """Names a view module binds to service modules or functions, and what they name."""
    aliases = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "statuspage.services"
        ):
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def written_by(function: ast.FunctionDef, aliases: dict[str, str], writers: set[str]) -> set[str]:
    """The service writers a view calls directly."""
    called = set()
    for call in ast.walk(function):
        if not isinstance(call, ast.Call):
            continue
        target = call.func
        if isinstance(target, ast.Name) and target.id in aliases:
            called.add(aliases[target.id])
        elif (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id in aliases
        ):
            called.add(f"{aliases[target.value.id]}.{target.attr}")
    return called & writers


def test_service_writers_are_found():
    writers = service_writers()
    assert "statuspage.services.site.configure.update_settings" in writers
    assert "statuspage.services.notices.incidents.post_update" in writers


def test_each_view_calls_at_most_one_service_writer():
    writers = service_writers()
    several = {}
    aliases = {}
    for path, function in route_functions():
        if path not in aliases:
            aliases[path] = service_aliases(ast.parse(path.read_text()))
        called = written_by(function, aliases[path], writers)
        if len(called) > 1:
            several[view_name(path, function)] = sorted(called)
    assert several == {}


def test_notice_urls_come_from_the_notice():
    """Paths of incidents and maintenance are built by the model (public_path, detail_endpoint,
    url_values), never by hand in a kind switch."""
    hand_built = ('f"/incidents/{', 'f"/maintenance/{', "'admin.incident_detail', incident_id=item")
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        assert not any(snippet in text for snippet in hand_built), path
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        assert "notice_type == 'incident'" not in text and "kind == 'maintenance' %}<a" not in text


def test_mail_composition_asks_the_notice_instead_of_switching_on_its_kind():
    view_models = (ROOT / "statuspage" / "services" / "page" / "view_models.py").read_text()
    assert "def status_label(" not in view_models.replace("    def status_label(", "")
    for module in ("outbox/compose.py", "subscribers/digests.py"):
        source = (ROOT / "statuspage" / "services" / module).read_text()
        assert "isinstance(notice" not in source, module
        assert "Maintenance)" not in source and "Incident)" not in source, module
