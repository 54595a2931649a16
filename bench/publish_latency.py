"""Continuous publishing: how long a committed write takes to reach the published site.

    .venv/bin/python bench/publish_latency.py                      # 300 components, 3,000 incidents
    .venv/bin/python bench/publish_latency.py --updates 20 --snapshots

The data set (bench/large_data.py, reduced: --components/--incidents/--days) is written once
into a SQLite file under /tmp and copied for each run. The app runs under gunicorn,
`flask publish watch` publishes into a folder served by nginx (the generated config), and
50 incident updates are posted through the management API (a token from `flask tokens
create`); after each, nginx is polled until the incident's page shows it. Latency is from the
API's 201 (the write committed) to the first poll that sees it. Beside it, the baseline: the
same poll loop against a file that is already there (what one look costs). The watch's own log
gives the time of its full publish (at start) and of each incremental one.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from public_page import Gunicorn, environment, free_port, run_flask  # noqa: E402

from tests.publish.nginx_server import serve  # noqa: E402

LOG_LINE = re.compile(
    r"publish: (Full|Incremental) publish.*?(\d+) pages rendered.*\(([0-9.]+) s\)"
)


def data_set(args: argparse.Namespace) -> Path:
    """The reduced large data set, made once and kept."""
    path = Path(f"/tmp/publish_bench_{args.components}x{args.incidents}x{args.days}.db")
    if not path.exists():
        print(f"Writing the data set into {path} (once) ...", flush=True)
        made = path.with_suffix(".partial")
        made.unlink(missing_ok=True)
        subprocess.run(  # noqa: S603 (our own script)
            [
                sys.executable,
                str(BENCH / "large_data.py"),
                "--database-url",
                f"sqlite:///{made}",
                "--components",
                str(args.components),
                "--incidents",
                str(args.incidents),
                "--days",
                str(args.days),
                "--subscribers",
                "50",
            ],
            check=True,
            cwd=ROOT,
        )
        made.rename(path)
    return path


def open_incidents(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "select id from notice where type = 'incident' and status != 'resolved' "
            "and visibility = 'public' order by started_at"
        ).fetchall()
    return [row[0] for row in rows]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def poll_until(
    url: str, text: str, each: Callable[[], None], *, timeout: float = 60
) -> tuple[float, int]:
    """Seconds until GET *url* contains *text*, and how many GETs it took (*each* run
    between them)."""
    session = requests.Session()
    started, looks = time.monotonic(), 0
    while time.monotonic() - started < timeout:
        looks += 1
        response = session.get(url, timeout=5)
        if response.status_code == 200 and text in response.text:
            return time.monotonic() - started, looks
        each()
        time.sleep(0.01)
    raise SystemExit(f"{url} did not show {text!r} within {timeout} s")


def watch_figures(log: Path) -> tuple[list[tuple[str, int, float]], str]:
    text = log.read_text(errors="replace")
    return [(kind, int(pages), float(s)) for kind, pages, s in LOG_LINE.findall(text)], text


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--components", type=int, default=300)
    parser.add_argument("--incidents", type=int, default=3000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--updates", type=int, default=50)
    parser.add_argument("--snapshots", action="store_true", help="a hard-linked build a publish")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--work",
        type=Path,
        help="keep the database copy and the published folder here; a second run resumes "
        "from them (`watch --resume`: no full publish)",
    )
    args = parser.parse_args()
    source = data_set(args)
    work = args.work or Path(tempfile.mkdtemp(prefix="publish_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    database = work / "bench.db"
    resume = database.exists() and (work / "site").is_symlink()
    if not resume:
        shutil.copy(source, database)
    port = free_port()
    env = environment(f"sqlite:///{database}", port, None)
    env["STATUSPAGE_MAIL_BACKEND"] = "memory"
    site = work / "site"
    print("Making a staff user and a write token ...", flush=True)
    password = secrets.token_urlsafe(16)
    subprocess.run(  # noqa: S603 (exists already on a resumed run: no check)
        [sys.executable, "-m", "flask", "users", "create", "--email", "bench@example.com"]
        + ["--role", "admin", "--password-stdin"],
        input=password + "\n",
        text=True,
        env=env,
        cwd=ROOT,
        capture_output=True,
    )
    token = run_flask(
        ["tokens", "create", "--name", "bench", "--user", "bench@example.com", "--scope", "write"],
        env,
    )
    targets = open_incidents(database)
    if not targets:
        raise SystemExit("The data set has no open public incident to update.")
    server = Gunicorn(env, port, work / "gunicorn.log", workers=2)
    watch_log = work / "watch.log"
    mode = ["--snapshots"] if args.snapshots else ["--in-place"]
    mode += ["--resume"] if resume else []
    watch_log.write_text("")

    def start_watch(extra: list[str]) -> subprocess.Popen[bytes]:
        with open(watch_log, "a") as log_file:
            return subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "flask", "publish", "watch", "--to", str(site)]
                + mode
                + extra,
                cwd=ROOT,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )

    watcher = start_watch([])
    restarts: list[int] = []

    def keep_watching() -> None:
        """A watch that died (see docs/benchmarks.md) is started again, resuming, and counted."""
        nonlocal watcher
        if watcher.poll() is not None:
            restarts.append(watcher.returncode)
            watcher = start_watch(["--resume"] if "--resume" not in mode else [])

    try:
        server.wait_until_ready()
        print("Waiting for the watch's first (full) publish ...", flush=True)
        while not resume and not watch_figures(watch_log)[0]:
            if watcher.poll() is not None:
                raise SystemExit(watch_log.read_text())
            time.sleep(1)
        with serve(site, work / "nginx") as nginx:
            run_updates(args, nginx, port, token, targets, watch_log, site, keep_watching)
        print(f"Watch restarts (exit codes): {restarts or 'none'}")
    finally:
        watcher.terminate()
        watcher.wait(timeout=600)
        server.stop()
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


def run_updates(
    args: argparse.Namespace,
    nginx: str,
    port: int,
    token: str,
    targets: list[str],
    watch_log: Path,
    site: Path,
    keep_watching: Callable[[], None],
) -> None:
    rng = random.Random(args.seed)
    headers = {"Authorization": f"Bearer {token}"}
    latencies, baselines, looks = [], [], []
    for n in range(args.updates):
        incident = targets[n % len(targets)]
        body = f"Benchmark update {n} {secrets.token_hex(4)}"
        response = requests.post(
            f"http://127.0.0.1:{port}/api/manage/v1/incidents/{incident}/updates",
            json={"status": "identified", "body": body, "deliver_notifications": False},
            headers=headers,
            timeout=30,
        )
        if response.status_code != 201:
            raise SystemExit(f"{response.status_code}: {response.text}")
        seconds, count = poll_until(f"{nginx}/incidents/{incident}", body, keep_watching)
        latencies.append(seconds)
        looks.append(count)
        baseline, _ = poll_until(f"{nginx}/incidents/{incident}", body, lambda: None)
        baselines.append(baseline)
        time.sleep(rng.uniform(0.1, 1.0))  # writes at no fixed phase of the watch's looks
    time.sleep(2)
    passes, _ = watch_figures(watch_log)
    full = [s for kind, _, s in passes if kind == "Full"]
    incremental = [(pages, s) for kind, pages, s in passes if kind == "Incremental"]
    files = sum(1 for p in site.resolve().rglob("*") if p.is_file())
    p50, p95 = statistics.median(latencies), percentile(latencies, 0.95)
    base50, base95 = statistics.median(baselines), percentile(baselines, 0.95)
    print(f"\nData set: {args.components} components, {args.incidents} incidents, {args.days} days")
    mode = "snapshots" if args.snapshots else "in place"
    print(f"Published files (with .gz): {files:,}; mode: {mode}")
    print(f"{'':28} {'p50':>8} {'p95':>8} {'max':>8}")
    print(f"{'write -> on nginx (s)':28} {p50:8.3f} {p95:8.3f} {max(latencies):8.3f}")
    print(f"{'baseline: unchanged file (s)':28} {base50:8.4f} {base95:8.4f} {max(baselines):8.4f}")
    print(f"{'ratio':28} {p50 / base50:8.0f} {p95 / base95:8.0f}")
    print(f"GETs until seen: median {statistics.median(looks):.0f}, max {max(looks)}")
    if full:
        print(f"Full publish (at start): {full[0]:.1f} s")
    if incremental:
        seconds = [s for _, s in incremental]
        pages = [p for p, _ in incremental]
        print(
            f"Incremental publishes: {len(incremental)}, median {statistics.median(seconds):.2f} s"
            f" (max {max(seconds):.2f} s), median {statistics.median(pages):.0f} pages rendered"
        )
    print(f"Target: p95 <= 2 s: {'met' if p95 <= 2 else 'NOT met'}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
