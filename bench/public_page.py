"""Public page benchmark: requests/s and p99 latency of the public page, the summary JSON and the
history feed, each beside /healthz (which touches nothing) served by the same gunicorn in the
same run, on the demo data set and on the large one (500 components, 20,000 incidents).

    .venv/bin/python bench/public_page.py                      # both sets, 10 s per URL
    .venv/bin/python bench/public_page.py --only large --duration 30 --json
    .venv/bin/python bench/public_page.py --urls / /history /history.atom
    .venv/bin/python bench/public_page.py --database-url postgresql://postgres@127.0.0.1/bench

Each set gets a fresh database (a temporary SQLite file, or the --database-url database, whose
contents are replaced), `flask db upgrade` and `flask demo seed` (demo) or `bench/large_data.py`
(large: the data set written through the services, which takes a while), then
`gunicorn --workers 2 wsgi:app` with the production config (config.ProductionConfig, the
response cache of a default deployment: in-process per worker, or Redis with --redis-url). After
a warm-up that checks every URL answers 200, each URL is loaded for --duration seconds at a
fixed concurrency, by wrk when it is installed, else by a Python load generator (keep-alive
http.client connections in threads, spread over processes). Prints, per set, requests/s, p99
latency, the ratio to /healthz (target: at least 0.7), non-2xx responses (wrk: non-2xx-or-3xx;
no page redirects) and socket errors; any of those is a failure, and the exit status is 1.
HTML pages re-render when the minute changes (they show relative times), so a run that crosses
a minute includes one render per worker, as production does.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import multiprocessing
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HEALTHZ = "/healthz"
DEFAULT_URLS = ["/", "/api/v2/summary.json", "/history.atom"]
TARGET = 0.7
#: How each data set is written: `flask demo seed`, or bench/large_data.py (a script, not a
#: flask command: the large set is benchmark data and lives beside the benchmarks).
SETS = {
    "demo": [sys.executable, "-m", "flask", "demo", "seed", "--force"],
    "large": [sys.executable, str(ROOT / "bench" / "large_data.py"), "--force"],
}


@dataclass
class Result:
    url: str
    requests: int
    seconds: float
    p99_ms: float
    non_2xx: int
    errors: int
    ratio: float = 0.0

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def meets_target(self) -> bool:
        return self.ratio >= TARGET


@dataclass
class SetReport:
    name: str
    database: str
    seed_seconds: float
    seeded: str
    results: list[Result] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(database: str, port: int, redis_url: str | None) -> dict[str, str]:
    """What a production deployment sets; inherited STATUSPAGE_* variables are left out."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATUSPAGE_")}
    env.update(
        STATUSPAGE_CONFIG="config.ProductionConfig",
        STATUSPAGE_SECRET_KEY=secrets.token_hex(16),
        STATUSPAGE_SQLALCHEMY_DATABASE_URI=database,
        STATUSPAGE_BASE_URL=f"http://127.0.0.1:{port}",
        FLASK_APP="wsgi",
    )
    if redis_url:
        env["STATUSPAGE_REDIS_URL"] = redis_url
    return env


def run_flask(args: list[str], env: dict[str, str]) -> str:
    """`flask ...` in its own process, its output shown as it comes; returns the last line."""
    return run_command([sys.executable, "-m", "flask", *args], env)


def run_command(command: list[str], env: dict[str, str]) -> str:
    """A command in its own process, its output shown as it comes; returns the last line."""
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    last = ""
    try:
        assert process.stdout is not None
        for line in process.stdout:
            line = line.rstrip()
            if line and not line.startswith("INFO  [alembic"):
                print(f"    {line}", flush=True)
                last = line
    except BaseException:  # Ctrl-C, SIGTERM: do not leave it seeding
        process.terminate()
        process.wait()
        raise
    if process.wait() != 0:
        raise SystemExit(f"{' '.join(command)} failed (exit {process.returncode})")
    return last


class Gunicorn:
    """gunicorn in a session of its own, stopped (master and workers) whatever happens."""

    def __init__(
        self,
        env: dict[str, str],
        port: int,
        log: Path,
        workers: int,
        *,
        app: str = "wsgi:app",
        ready_path: str = HEALTHZ,
        cwd: Path = ROOT,
    ) -> None:
        self.port = port
        self.log = log
        self.ready_path = ready_path
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--no-control-socket",
                "--error-logfile",
                str(log),
                "--graceful-timeout",
                "5",
                app,
            ],
            cwd=cwd,
            env=env,
            start_new_session=True,  # Ctrl-C reaches us, and we stop it in order
        )

    def wait_until_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited:\n{self.read_log_tail()}")
            try:
                status, _ = fetch(self.port, self.ready_path)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer {self.ready_path} within {timeout:.0f} s")

    def worker_rss_mb(self) -> list[float]:
        """Each worker's resident memory (from /proc: the master's children)."""
        found = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                fields = dict(
                    line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
                )
            except OSError:
                continue
            if fields.get("PPid", "").strip() == str(self.process.pid):
                found.append(int(fields["VmRSS"].split()[0]) / 1024)
        return sorted(found)

    def read_log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM to the master (it stops its workers), SIGKILL to the group if it lingers."""
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C waits
        try:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    pass
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # workers left behind, if any
            except ProcessLookupError:
                pass
            self.process.wait(timeout=5)
        finally:
            signal.signal(signal.SIGINT, previous)


#: What browsers, feed readers and HTTP libraries send: the cache answers them with the body it
#: compressed once, so the figures are those of real readers.
HEADERS = {"Accept-Encoding": "gzip"}


def fetch(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers=HEADERS)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# ---- the Python load generator ---------------------------------------------------------------


def _run_client(port: int, path: str, start: float, end: float, out: list[Any]) -> None:
    """One client: requests back to back on one connection (reopened when the server closes it)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    time.sleep(max(0.0, start - time.time()))
    while time.time() < end:
        began = time.perf_counter()
        try:
            connection.request("GET", path, headers=HEADERS)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            errors += 1
            connection.close()
            continue
        latencies.append(time.perf_counter() - began)
        statuses[response.status] = statuses.get(response.status, 0) + 1
    connection.close()
    out.append((latencies, statuses, errors, time.time()))


def _run_load_process(
    port: int, path: str, threads: int, start: float, end: float, results: Any
) -> None:
    """A load process: *threads* clients; the parent stops it if it is interrupted."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out: list[Any] = []
    clients = [
        threading.Thread(target=_run_client, args=(port, path, start, end, out))
        for _ in range(threads)
    ]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    results.put(out)


def load_with_python(
    port: int, path: str, *, seconds: float, connections: int, processes: int
) -> tuple[list[float], dict[int, int], int, float]:
    """(latencies, status counts, errors, elapsed seconds) of *connections* clients."""
    context = multiprocessing.get_context("fork")
    results = context.SimpleQueue()
    start = time.time() + 0.3
    end = start + seconds
    per = [connections // processes + (i < connections % processes) for i in range(processes)]
    children = [
        context.Process(target=_run_load_process, args=(port, path, n, start, end, results))
        for n in per
        if n
    ]
    for child in children:
        child.start()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    finished = end
    try:
        for _ in children:
            for thread_latencies, thread_statuses, thread_errors, done in results.get():
                latencies += thread_latencies
                for status, n in thread_statuses.items():
                    statuses[status] = statuses.get(status, 0) + n
                errors += thread_errors
                finished = max(finished, done)
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
            child.join()
    return latencies, statuses, errors, finished - start


def compute_percentile(values: list[float], fraction: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


# ---- wrk -------------------------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def parse_wrk(output: str) -> tuple[int, float, float, int, int]:
    """(requests, seconds, p99 ms, non-2xx-or-3xx responses, socket errors) from `wrk --latency`."""
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m),", output)
    p99 = re.search(r"^\s*99(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    if not done or not p99:
        raise SystemExit(f"cannot read wrk's output:\n{output}")
    bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return (
        int(done.group(1)),
        float(done.group(2)) * _UNITS[done.group(3)] / 1e3,
        float(p99.group(1)) * _UNITS[p99.group(2)],
        int(bad.group(1)) if bad else 0,
        sum(int(n) for n in errors.groups()) if errors else 0,
    )


def load_with_wrk(
    wrk: str, port: int, path: str, *, seconds: float, connections: int, threads: int
) -> tuple[int, float, float, int, int]:
    result = subprocess.run(
        [
            wrk,
            "--latency",
            "-t",
            str(threads),
            "-c",
            str(connections),
            *[arg for name, value in HEADERS.items() for arg in ("-H", f"{name}: {value}")],
            "-d",
            f"{max(1, round(seconds))}s",
            "--timeout",
            "30s",
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return parse_wrk(result.stdout)


# ---- one set ---------------------------------------------------------------------------------


def measure_url(port: int, path: str, args: argparse.Namespace, wrk: str | None) -> Result:
    if wrk:
        requests, seconds, p99_ms, bad, errors = load_with_wrk(
            wrk,
            port,
            path,
            seconds=args.duration,
            connections=args.connections,
            threads=args.processes,
        )
        return Result(path, requests, seconds, p99_ms, bad, errors)
    latencies, statuses, errors, seconds = load_with_python(
        port,
        path,
        seconds=args.duration,
        connections=args.connections,
        processes=args.processes,
    )
    bad = sum(n for status, n in statuses.items() if not 200 <= status < 300)
    return Result(
        path, len(latencies), seconds, compute_percentile(latencies, 0.99) * 1e3, bad, errors
    )


def warm_up(port: int, urls: list[str], args: argparse.Namespace) -> None:
    """Every URL must answer 200; then a short load fills each worker's cache."""
    for path in urls:
        status, body = fetch(port, path)
        if status != 200:
            raise SystemExit(f"{path} answered {status}: {body[:300]!r}")
    for path in urls:
        _, statuses, errors, _ = load_with_python(
            port, path, seconds=args.warmup, connections=args.connections, processes=1
        )
        if set(statuses) != {200} or errors:
            raise SystemExit(f"warm-up of {path}: statuses {statuses}, {errors} errors")


def run_set(name: str, args: argparse.Namespace, scratch: Path, wrk: str | None) -> SetReport:
    database = args.database_url or f"sqlite:///{scratch / f'{name}.db'}"
    port = free_port()
    env = environment(database, port, args.redis_url)
    kind = database.split(":", 1)[0]
    print(f"\n{name} set on {kind}: migrating and seeding ...", flush=True)
    run_flask(["db", "upgrade"], env)
    started = time.perf_counter()
    command = SETS[name] + (["--database-url", database] if name == "large" else [])
    seeded = run_command(command, env)
    report = SetReport(name, kind, time.perf_counter() - started, seeded)
    print(f"  seeded in {report.seed_seconds:.0f} s; starting gunicorn on port {port} ...")
    urls = [HEALTHZ, *[u for u in dict.fromkeys(args.urls) if u != HEALTHZ]]
    server = Gunicorn(env, port, scratch / f"gunicorn-{name}.log", args.workers)
    try:
        server.wait_until_ready()
        warm_up(port, urls, args)
        for path in urls:
            result = measure_url(port, path, args, wrk)
            report.results.append(result)
            print(f"  {path}: {result.per_second:,.0f} req/s", flush=True)
    finally:
        server.stop()
    baseline = report.results[0].per_second
    for result in report.results:
        result.ratio = result.per_second / baseline if baseline else 0.0
    return report


def print_report(report: SetReport, args: argparse.Namespace, generator: str) -> None:
    seeded = re.search(r"(\d+) components and (\d+) incidents", report.seeded)
    what = f"{int(seeded[1]):,} components, {int(seeded[2]):,} incidents" if seeded else "?"
    print(
        f"\n{report.name} set ({what}) on {report.database}, gunicorn {args.workers} workers, "
        f"{generator}, {args.duration:g} s per URL"
    )
    header = (
        f"{'URL':<26}{'req/s':>9}{'p99 ms':>9}{'/healthz':>10}{'>= 0.7':>8}"
        f"{'non-2xx':>9}{'errors':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in report.results:
        verdict = "-" if r.url == HEALTHZ else ("yes" if r.meets_target else "NO")
        failed = "  FAIL" if r.non_2xx or r.errors else ""
        print(
            f"{r.url:<26}{r.per_second:>9,.0f}{r.p99_ms:>9.1f}{r.ratio:>10.2f}{verdict:>8}"
            f"{r.non_2xx:>9}{r.errors:>8}{failed}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", choices=sorted(SETS), help="one data set (default: both)")
    parser.add_argument("--urls", nargs="+", default=DEFAULT_URLS, help="paths to load")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per URL")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per URL")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections")
    parser.add_argument("--processes", type=int, default=2, help="load processes (wrk: threads)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--database-url", help="PostgreSQL database to use (its data is replaced)")
    parser.add_argument(
        "--redis-url", help="share the response cache in Redis, as STATUSPAGE_REDIS_URL"
    )
    parser.add_argument("--generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument(
        "--json", action="store_true", help="also write bench/results/public_page.json"
    )
    args = parser.parse_args()
    wrk = shutil.which("wrk") if args.generator != "python" else None
    if args.generator == "wrk" and not wrk:
        parser.error("wrk is not installed")
    generator = (
        f"wrk ({args.connections} connections, {args.processes} threads)"
        if wrk
        else f"Python load generator ({args.connections} connections, {args.processes} processes)"
    )
    if (ROOT / "instance" / "config.py").exists():
        print("note: instance/config.py exists and applies to this run", file=sys.stderr)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up as on Ctrl-C
    reports = []
    try:
        with tempfile.TemporaryDirectory(prefix="statuspage-bench-") as scratch:
            for name in [args.only] if args.only else list(SETS):
                reports.append(run_set(name, args, Path(scratch), wrk))
    except KeyboardInterrupt:
        raise SystemExit("\ninterrupted; gunicorn stopped and temporary files removed") from None
    for report in reports:
        print_report(report, args, generator)
    if args.json:
        out = ROOT / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        document = {
            "generator": generator,
            "duration": args.duration,
            "workers": args.workers,
            "target_ratio": TARGET,
            "sets": {
                r.name: {
                    **{k: v for k, v in asdict(r).items() if k != "results"},
                    "results": [
                        {**asdict(x), "per_second": x.per_second, "meets_target": x.meets_target}
                        for x in r.results
                    ],
                }
                for r in reports
            },
        }
        (out / "public_page.json").write_text(json.dumps(document, indent=2))
    if any(r.non_2xx or r.errors for report in reports for r in report.results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
