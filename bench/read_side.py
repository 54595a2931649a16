"""The read side beside its baselines, in one run, for each data set: requests/s of a Flask
"hello world" and of our cached `/` (the same gunicorn, 2 workers), of nginx serving a static
file as big as our `/` and of nginx serving the published `/` with the generated config; and
the resident memory of our two workers after the load.

    .venv/bin/python bench/read_side.py                          # the demo data set
    .venv/bin/python bench/read_side.py --large /tmp/large.db    # and a seeded large set

The large set is a database written by bench/large_data.py (it takes minutes: make it once);
it is copied, never changed. wrk: 32 connections, 2 threads, 10 s a URL (--duration). The
static baseline and the published `/` are both asked without Accept-Encoding (the same
bytes: what the generated config costs); the published `/` is also asked as browsers ask
(gzip: nginx sends the precompressed `.gz` the publish wrote).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from public_page import Gunicorn, environment, fetch, free_port, parse_wrk, run_flask  # noqa: E402

from tests.publish.nginx_server import serve  # noqa: E402

TARGETS = {"cached / ÷ hello world": 0.8, "published / ÷ static file": 0.9}


@dataclass
class SetFigures:
    name: str
    html_bytes: int = 0
    per_second: dict[str, float] = field(default_factory=dict)
    worker_rss_mb: list[float] = field(default_factory=list)


def run_wrk(url: str, args: argparse.Namespace, *, gzip: bool) -> float:
    """Requests per second; a non-2xx answer or a socket error stops the benchmark."""
    command = ["wrk", "--latency", "-t", "2", "-c", str(args.connections)]
    if gzip:
        command += ["-H", "Accept-Encoding: gzip"]
    command += ["-d", f"{args.duration}s", "--timeout", "30s", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    requests, seconds, _, bad, errors = parse_wrk(output)
    if bad or errors:
        raise SystemExit(f"{url}: {bad} bad answers, {errors} socket errors\n{output}")
    return requests / seconds


def prepare_database(name: str, args: argparse.Namespace, scratch: Path) -> str:
    path = scratch / f"{name}.db"
    database = f"sqlite:///{path}"
    if name == "large":
        shutil.copyfile(args.large, path)
        return database
    env = environment(database, 0, None)
    run_flask(["db", "upgrade"], env)
    run_flask(["demo", "seed"], env)
    return database


def publish_index(database: str, folder: Path) -> bytes:
    """`/` and the static assets as `flask publish` writes them (with their `.gz`)."""
    env = environment(database, 0, None)
    code = (
        "import sys\n"
        "from itertools import chain\nfrom pathlib import Path\n"
        "from statuspage import create_app\n"
        "from statuspage.services.publish.site import render_pages, static_files\n"
        "from statuspage.services.publish.writer import write_build\n"
        "app = create_app()\n"
        "write_build(chain(render_pages(app, ['/']), static_files(app)), Path(sys.argv[1]))\n"
    )
    subprocess.run([sys.executable, "-c", code, str(folder)], cwd=ROOT, env=env, check=True)  # noqa: S603
    return (folder / "index.html").read_bytes()


def measure_set(name: str, args: argparse.Namespace, scratch: Path) -> SetFigures:
    figures = SetFigures(name)
    print(f"\n{name}: preparing the database ...", flush=True)
    database = prepare_database(name, args, scratch)

    port = free_port()
    hello = Gunicorn(
        dict(os.environ),
        port,
        scratch / f"hello-{name}.log",
        2,
        app="hello_world:app",
        ready_path="/",
        cwd=BENCH / "baselines",
    )
    try:
        hello.wait_until_ready()
        figures.per_second["Flask hello world"] = run_wrk(
            f"http://127.0.0.1:{port}/", args, gzip=True
        )
    finally:
        hello.stop()

    port = free_port()
    ours = Gunicorn(environment(database, port, None), port, scratch / f"app-{name}.log", 2)
    try:
        ours.wait_until_ready()
        status, _ = fetch(port, "/")
        assert status == 200, status
        run_wrk(
            f"http://127.0.0.1:{port}/", argparse.Namespace(connections=4, duration=2), gzip=True
        )
        figures.per_second["our cached /"] = run_wrk(f"http://127.0.0.1:{port}/", args, gzip=True)
        figures.worker_rss_mb = ours.worker_rss_mb()
    finally:
        ours.stop()

    site = scratch / f"site-{name}"
    html = publish_index(database, site)
    figures.html_bytes = len(html)
    static = scratch / f"static-{name}"
    static.mkdir()
    (static / "same-size.bin").write_bytes(os.urandom(len(html)))
    with (
        serve(static, scratch / f"nginx-static-{name}", bare=True) as bare,
        serve(site, scratch / f"nginx-site-{name}") as published,
    ):
        # Taken in turns, the median of each: the two differ by a few per cent at most, less
        # than one run's noise on two cores shared with wrk.
        turns: dict[str, list[float]] = {"nginx, static file": [], "nginx, published /": []}
        for _ in range(args.repeat):
            turns["nginx, static file"].append(run_wrk(f"{bare}/same-size.bin", args, gzip=False))
            turns["nginx, published /"].append(run_wrk(f"{published}/", args, gzip=False))
        for label, rates in turns.items():
            figures.per_second[label] = statistics.median(rates)
        figures.per_second["nginx, published / (gzip)"] = run_wrk(f"{published}/", args, gzip=True)
    return figures


def print_figures(figures: SetFigures) -> None:
    rates = figures.per_second
    print(f"\n{figures.name} set: / is {figures.html_bytes / 1000:,.1f} KB of HTML")
    for label, rate in rates.items():
        print(f"  {label:<28} {rate:>10,.0f} req/s")
    ratios = {
        "cached / ÷ hello world": rates["our cached /"] / rates["Flask hello world"],
        "published / ÷ static file": rates["nginx, published /"] / rates["nginx, static file"],
    }
    for label, ratio in ratios.items():
        verdict = "meets" if ratio >= TARGETS[label] else "misses"
        print(f"  {label:<28} {ratio:>10.2f}   ({verdict} the {TARGETS[label]} target)")
    total = sum(figures.worker_rss_mb)
    workers = " + ".join(f"{mb:.0f}" for mb in figures.worker_rss_mb)
    print(f"  RSS of the workers          {workers} = {total:.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--large", type=Path, help="a database bench/large_data.py wrote")
    parser.add_argument("--duration", type=int, default=10, help="seconds a URL")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3, help="turns of the two nginx runs")
    parser.add_argument("--json", type=Path, help="also write the figures there")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    results = []
    with tempfile.TemporaryDirectory(prefix="read-side-") as tmp:
        for name in ["demo", "large"] if args.large else ["demo"]:
            figures = measure_set(name, args, Path(tmp))
            print_figures(figures)
            results.append(figures)
    if args.json:
        args.json.write_text(json.dumps([asdict(f) for f in results], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
