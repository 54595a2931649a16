"""Worker memory under mixed load: does each gunicorn worker's resident memory level off?

    .venv/bin/python bench/memory.py --minutes 20          # demo data, temporary SQLite file
    .venv/bin/python bench/memory.py --minutes 5 --interval 15
    .venv/bin/python bench/memory.py --database-url postgresql://postgres@127.0.0.1/bench

Migrates and seeds a fresh database (`flask demo seed`; --database-url is replaced), starts
`gunicorn --workers 2 wsgi:app` with the production config, then for --minutes runs wrk
(a Lua script drawing URLs at random: the page, history pages, feeds, every JSON endpoint,
incident pages, half of them with a random query string such as `?x=8f3a...`, half asking
for gzip) while a writer changes a component's status through the services every
--write-every seconds, so the page version moves as in an outage. Every --interval seconds it
samples each worker's resident set size (VmRSS from /proc) and prints a table; the last lines
give each worker's growth over the last half of the run, which stays small when the caches are
bounded. Linux only (reads /proc); needs wrk (`apt-get install wrk`).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from public_page import Gunicorn, environment, fetch, free_port, run_flask  # noqa: E402

from statuspage import create_app  # noqa: E402
from statuspage.enums import ComponentStatus  # noqa: E402
from statuspage.extensions import db  # noqa: E402
from statuspage.services.components import tree as component_service  # noqa: E402
from statuspage.services.unit import CLI  # noqa: E402

#: Paths drawn by the load; {incident} and {component} are filled with ids from the page.
PATHS = [
    "/",
    "/history",
    "/history?page=2",
    "/history.atom",
    "/history.rss",
    "/maintenance.ics",
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/api/v2/components.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
    "/api/v2/scheduled-maintenances.json",
    "/api/v2/scheduled-maintenances/upcoming.json",
    "/api/v2/scheduled-maintenances/active.json",
    "/brand.css",
    "/healthz",
]

LUA = r"""
local paths = {%(paths)s}
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  local path = paths[math.random(#paths)]
  if math.random() < 0.5 then
    local sep = path:find("?", 1, true) and "&" or "?"
    path = path .. sep .. "x=" .. string.format("%%08x%%08x", math.random(0, 0x7fffffff),
                                                 math.random(0, 0x7fffffff))
  end
  local headers = {}
  if math.random() < 0.5 then headers["Accept-Encoding"] = "gzip" end
  return wrk.format("GET", path, headers)
end
"""


def list_workers(master: int) -> list[int]:
    """The gunicorn master's child processes (its workers), from /proc."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return sorted(int(pid) for pid in children)


def read_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def collect_paths(port: int) -> list[str]:
    """The fixed paths plus an incident page and a component feed per incident/component."""
    paths = list(PATHS)
    status, body = fetch(port, "/api/v2/incidents.json")
    if status == 200:
        incidents = json.loads(gunzip_if_needed(body))["incidents"]
        paths += [f"/incidents/{incident['id']}" for incident in incidents[:20]]
    status, body = fetch(port, "/api/v2/components.json")
    if status == 200:
        components = json.loads(gunzip_if_needed(body))["components"]
        leaves = [c for c in components if not c.get("group")]
        paths += [f"/components/{c['id']}/history.atom" for c in leaves[:10]]
    return paths


def gunzip_if_needed(body: bytes) -> bytes:
    return gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body


def write_now_and_then(database: str, every: float, stop: threading.Event) -> None:
    """A status change through the services every *every* seconds: new page versions."""
    app = create_app(
        {
            "CONFIG_CLASS": "config.ProductionConfig",
            "SQLALCHEMY_DATABASE_URI": database,
            "SECRET_KEY": "bench",
        }
    )
    statuses = [ComponentStatus.DEGRADED_PERFORMANCE, ComponentStatus.OPERATIONAL]
    rng = random.Random(7)
    with app.app_context():
        components = component_service.list_components()
        turn = 0
        while not stop.wait(every) and components:
            component = rng.choice(components)
            component_service.set_component_status(
                component, statuses[turn % 2], actor=CLI, now=datetime.now(UTC)
            )
            turn += 1
        db.session.remove()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=20.0, help="length of the run")
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between samples")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--write-every", type=float, default=20.0, help="seconds between writes")
    parser.add_argument("--database-url", help="PostgreSQL database to use (its data is replaced)")
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if not wrk:
        parser.error("wrk is not installed (apt-get install wrk)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="statuspage-memory-") as scratch:
        database = args.database_url or f"sqlite:///{Path(scratch) / 'memory.db'}"
        port = free_port()
        env = environment(database, port, None)
        run_flask(["db", "upgrade"], env)
        run_flask(["demo", "seed", "--force"], env)
        server = Gunicorn(env, port, Path(scratch) / "gunicorn.log", 2)
        stop = threading.Event()
        writer = threading.Thread(
            target=write_now_and_then, args=(database, args.write_every, stop), daemon=True
        )
        load = None
        try:
            server.wait_until_ready()
            paths = collect_paths(port)
            script = Path(scratch) / "mixed.lua"
            script.write_text(LUA % {"paths": ", ".join(json.dumps(p) for p in paths)})
            workers = list_workers(server.process.pid)
            seconds = int(args.minutes * 60)
            load = subprocess.Popen(
                [
                    wrk,
                    "-t",
                    str(args.threads),
                    "-c",
                    str(args.connections),
                    "-d",
                    f"{seconds}s",
                    "--timeout",
                    "30s",
                    "-s",
                    str(script),
                    f"http://127.0.0.1:{port}",
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            writer.start()
            print(f"{len(paths)} paths, half with a random query string; workers {workers}")
            print(f"{'minute':>7}" + "".join(f"{f'worker {pid} MB':>18}" for pid in workers))
            samples: list[tuple[float, list[float]]] = []
            began = time.monotonic()
            while True:
                elapsed = time.monotonic() - began
                rss = [read_rss_mb(pid) for pid in workers]
                samples.append((elapsed / 60, rss))
                print(f"{elapsed / 60:>7.1f}" + "".join(f"{mb:>18.1f}" for mb in rss), flush=True)
                if elapsed >= seconds:
                    break
                time.sleep(min(args.interval, seconds - elapsed))
            output, _ = load.communicate(timeout=120)
            if list_workers(server.process.pid) != workers:
                print("note: a worker was replaced during the run")
            print("\n" + "\n".join(line for line in output.splitlines() if line.strip()))
            half = [s for s in samples if s[0] >= args.minutes / 2]
            for index, pid in enumerate(workers):
                start, middle, end = samples[0][1][index], half[0][1][index], samples[-1][1][index]
                print(
                    f"worker {pid}: {start:.0f} MB at start, {middle:.0f} MB at minute "
                    f"{half[0][0]:.0f}, {end:.0f} MB at the end "
                    f"({(end - middle) / max(1e-9, samples[-1][0] - half[0][0]):+.1f} MB/min "
                    "over the second half)"
                )
        finally:
            stop.set()
            if load is not None and load.poll() is None:
                load.terminate()
            server.stop()


if __name__ == "__main__":
    main()
