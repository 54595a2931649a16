"""What a cache miss costs: `/` (and a few other public pages) rendered from the database, the
median of N renders in one process, beside a Flask "hello world" answered the same way.

    .venv/bin/python bench/render.py                                    # the demo data set
    .venv/bin/python bench/render.py --database-url sqlite:////tmp/large.db   # a seeded set
    .venv/bin/python bench/render.py --database-url ... --profile /      # where the time goes

Each render goes through the whole WSGI stack (the hot-cache middleware, Flask, the view, the
templates and gzip, as a browser asks) with both response caches emptied first, so it is the
work a worker does when a write has just changed the page. The page version's small memos
(settings, clock facts) stay, as they do in a running worker between two writes.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import os
import pstats
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench" / "baselines"))

from hello_world import app as hello_world  # noqa: E402 - the baseline bench/read_side.py serves

DEFAULT_PATHS = ["/", "/history", "/api/v2/summary.json", "/history.atom"]


def median_ms(call: Any, runs: int, before: Any = None) -> float:
    timings = []
    for _ in range(runs):
        if before is not None:
            before()
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def prepare_app(database_url: str | None, workdir: Path) -> Any:
    os.environ.setdefault("STATUSPAGE_SECRET_KEY", "bench-" + "0" * 32)
    os.environ["STATUSPAGE_SQLALCHEMY_DATABASE_URI"] = database_url or (
        f"sqlite:///{workdir / 'demo.db'}"
    )
    from statuspage import create_app, demo
    from statuspage.models import Component
    from statuspage.schema import upgrade_schema

    app = create_app()
    with app.app_context():
        upgrade_schema()
        from statuspage.extensions import db

        if database_url is None and db.session.query(Component).count() == 0:
            demo.seed_demo(now=datetime.now(UTC))
    return app


def empty_caches(app: Any) -> None:
    from statuspage.extensions import cache

    with app.app_context():
        cache.clear()
    app.wsgi_app.entries.clear()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a migrated, seeded database (default: the demo)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--paths", nargs="+", default=DEFAULT_PATHS)
    parser.add_argument("--profile", metavar="PATH", help="profile renders of PATH instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = prepare_app(args.database_url, Path(tmp))
        client = app.test_client()
        headers = {"Accept-Encoding": "gzip"}
        if args.profile:
            client.get(args.profile, headers=headers)
            profiler = cProfile.Profile()
            for _ in range(args.runs):
                empty_caches(app)
                profiler.enable()
                client.get(args.profile, headers=headers)
                profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
            return 0
        hello = hello_world.test_client()
        baseline = median_ms(lambda: hello.get("/"), args.runs * 5)
        print(f"{'path':<24} {'median ms':>10} {'x hello':>9} {'HTML KB':>9} {'gzip KB':>8}")
        print(f"{'hello world':<24} {baseline:>10.2f} {1.0:>9.1f} {'':>9} {'':>8}")
        for path in args.paths:
            first = client.get(path)
            assert first.status_code == 200, (path, first.status_code)
            size = len(first.data)
            packed = len(gzip.compress(first.data, 6))
            ms = median_ms(
                lambda p=path: client.get(p, headers=headers),
                args.runs,
                before=lambda: empty_caches(app),
            )
            ratio = ms / baseline
            print(f"{path:<24} {ms:>10.2f} {ratio:>9.1f} {size / 1000:>9.1f} {packed / 1000:>8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
