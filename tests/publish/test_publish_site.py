"""`flask publish --to DIR`: the whole public site as files, the app's own bytes, swapped in
atomically, old builds pruned, nothing internal in it."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest
from click.testing import Result

from statuspage.services.errors import ServiceError
from tests.publish.conftest import publish
from tests.test_leak_matrix import ALL_MARKERS, build_world


def files_of(root: Path) -> dict[str, bytes]:
    """Every published file's bytes (a .gz decompressed), by its name under *root*."""
    found = {}
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found[path.relative_to(root).as_posix()] = (
                gzip.decompress(data) if path.suffix == ".gz" else data
            )
    return found


def test_the_demo_site_is_published_whole_with_gzip_beside_each_file(
    app, client, demo_page, published
):
    site = files_of(published)
    open_id, old_id = demo_page.open_incident_id, demo_page.resolved_incident_id
    expected = [
        "index.html",
        "history.html",
        f"history/{demo_page.past_month}/index.html",
        f"incidents/{open_id}.html",
        f"incidents/{old_id}.html",
        f"incidents/{open_id}.json",
        "history.atom",
        "history.rss",
        "history.json",
        "badge.svg",
        "badge.json",
        "maintenance.ics",
        "uptime.html",
        "subscribe.html",
        "404.html",
        "static/css/statuspage.css",
        "static/js/local-time.js",
        "api/v2/summary.json",
        "api/v2/status.json",
        "api/v2/components.json",
        "api/v2/incidents.json",
        "api/v2/incidents/unresolved.json",
        "api/v2/scheduled-maintenances.json",
        "api/v2/scheduled-maintenances/upcoming.json",
        "api/v2/scheduled-maintenances/active.json",
    ]
    assert [name for name in expected if name not in site] == []
    assert [name for name in expected if site.get(name + ".gz") != site[name]] == []
    components = client.get("/api/v2/components.json").get_json()["components"]
    for component in components:
        if not component["group"]:
            assert f"components/{component['id']}/history.atom" in site
            assert f"components/{component['id']}/history/index.html" in site
            assert f"components/{component['id']}/badge.svg" in site
            assert f"components/{component['id']}/badge.json" in site
    maintenance = [n for n in site if n.startswith("maintenance/") and n.endswith(".html")]
    assert maintenance, "the demo's maintenance windows are published"
    # The app's own bytes: what a reader of the live app gets now.
    for path, name in [
        ("/api/v2/summary.json", "api/v2/summary.json"),
        ("/history.atom", "history.atom"),
        ("/maintenance.ics", "maintenance.ics"),
        ("/badge.svg", "badge.svg"),
        (f"/incidents/{open_id}.json", f"incidents/{open_id}.json"),
    ]:
        assert client.get(path).data == site[name], path
    assert b"Page not found" in site["404.html"] or b"404" in site["404.html"]


def test_every_history_month_links_to_a_published_file(demo_page, published):
    """From the first month with entries to now, each month's page, and each link between
    months and pages, is a file: the archive is walkable on plain object storage."""
    site = files_of(published)
    history = site["history.html"].decode()
    assert 'href="/history/' in history and "?month=" not in history
    months = sorted(n for n in site if n.startswith("history/") and n.endswith("index.html"))
    assert f"history/{demo_page.past_month}/index.html" in months
    for name in months:
        page = site[name].decode()
        for link in page.split('href="/history/')[1:]:
            target = link.split('"')[0]
            first = months[0].removeprefix("history/").split("/")[0]
            if target.startswith(first) or target.split("/")[0] >= first:
                assert f"history/{target}index.html" in site, (name, target)


def test_the_published_subscribe_form_goes_to_the_live_app(app, client, published):
    page = files_of(published)["subscribe.html"].decode()
    base = app.config["BASE_URL"].rstrip("/")
    assert f'action="{base}/subscribe"' in page and 'method="get"' in page
    assert "if that site is down" in page and "csrf_token" not in page
    live = client.get("/subscribe").text  # the live page is unchanged
    assert "csrf_token" in live and "published copy" not in live


def test_a_new_build_is_swapped_in_and_old_builds_are_pruned(app, tmp_path):
    target = tmp_path / "site"
    builds = [publish(app, target) for _ in range(5)]
    assert target.is_symlink() and target.resolve() == builds[-1].resolve()
    assert not os.path.isabs(os.readlink(target))  # a relative link: the folder can move
    kept = sorted(p.name for p in (tmp_path / "site.builds").iterdir())
    assert kept == sorted(b.name for b in builds[-3:])
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_folder_that_is_not_ours_is_never_replaced(app, tmp_path):
    target = tmp_path / "site"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(ServiceError, match="not a published site"):
        publish(app, target)
    assert (target / "keep.txt").read_text() == "mine"
    assert not (tmp_path / "site.builds").exists()


def test_the_cli_publishes_and_prints_the_nginx_config(app, demo_page, tmp_path):
    runner = app.test_cli_runner()
    result: Result = runner.invoke(args=["publish", "--to", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    assert "Published" in result.output and (tmp_path / "site" / "index.html.gz").exists()
    result = runner.invoke(
        args=[
            "publish",
            "nginx-config",
            "--root",
            str(tmp_path / "site"),
            "--listen",
            "127.0.0.1:8123",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "listen 127.0.0.1:8123;" in result.output and "gzip_static on;" in result.output
    assert f"root {tmp_path / 'site'};" in result.output
    assert runner.invoke(args=["publish"]).exit_code == 2  # no --to: a usage error


def test_nothing_internal_is_ever_published(app, tmp_path):
    """The leak matrix's world, published: no marker in any page, compressed or not (the
    static assets are the repository's files, whose stylesheet styles staff classes too)."""
    from statuspage.database import utcnow

    build_world(utcnow().replace(microsecond=0))
    site = files_of(publish(app, tmp_path / "site"))
    assert len([n for n in site if not n.startswith("static/")]) > 40
    leaks = [
        f"{kind} in {name}"
        for name, data in site.items()
        if not name.startswith("static/")
        for kind, marker in ALL_MARKERS.items()
        if marker.encode() in data
    ]
    assert leaks == []
