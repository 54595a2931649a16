"""Fan-out benchmark: one incident update to N immediate subscribers, delivered by our
delivery job to a local SMTP sink, beside a baseline that sends the same number of pre-built
messages with plain smtplib over one connection, in the same run. The baseline's message is
one our job actually sent (the sink keeps the first), so both move the same bytes.

    .venv/bin/python bench/fanout.py                 # 100,000 subscribers
    .venv/bin/python bench/fanout.py --subscribers 10000 --json

Prints messages/s of both, their ratio (target: at least 0.5), and the peak resident memory
of the process that ran our delivery job (target: under 300 MB). The sink runs in its own
process, so neither side pays for the server's work.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SINK = r'''
import asyncio, signal, sys
from aiosmtpd.controller import Controller

class Count:
    """Counts messages, and keeps the first one so the baseline can send the same bytes."""
    def __init__(self, sample):
        self.count = 0
        self.sample = sample
    async def handle_DATA(self, server, session, envelope):
        if self.count == 0:
            with open(self.sample, "wb") as out:
                out.write(envelope.original_content)
        self.count += 1
        return "250 OK"

handler = Count(sys.argv[2])
controller = Controller(handler, hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
try:
    for line in sys.stdin:
        if line.strip() == "count":
            print(handler.count, flush=True)
finally:
    controller.stop()
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """The SMTP sink in a child process; ask it how many messages it has accepted."""

    def __init__(self, sample: Path) -> None:
        self.port = free_port()
        self.sample = sample
        self.process = subprocess.Popen(
            [sys.executable, "-c", SINK, str(self.port), str(sample)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"

    def count(self) -> int:
        self.process.stdin.write("count\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)


def environment(database: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "STATUSPAGE_CONFIG": "config.ProductionConfig",
        "STATUSPAGE_SECRET_KEY": secrets.token_hex(16),
        "STATUSPAGE_SQLALCHEMY_DATABASE_URI": database,
        "STATUSPAGE_MAIL_SERVER": "127.0.0.1",
        "STATUSPAGE_MAIL_PORT": str(port),
        "STATUSPAGE_BASE_URL": "https://status.example.com",
        "FLASK_APP": "wsgi",
    }


def prepare(database: str, subscribers: int) -> None:
    """Schema, N confirmed immediate subscribers (bulk insert: setup, not the measured part),
    and one published incident update whose event is waiting in the outbox."""
    import sqlalchemy as sa

    from statuspage import create_app
    from statuspage.enums import Cadence, SubscriberState
    from statuspage.extensions import db
    from statuspage.models import Subscriber
    from statuspage.services.notices import incidents
    from statuspage.services.unit import CLI

    app = create_app(
        {
            "CONFIG_CLASS": "config.ProductionConfig",
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": database,
        }
    )
    with app.app_context():
        db.create_all()
        now = datetime.now(UTC) - timedelta(hours=1)
        rows = [
            {
                "email": f"reader{i:06d}@example.com",
                "cadence": Cadence.IMMEDIATE,
                "state": SubscriberState.ACTIVE,
                "everything": True,
                "created_at": now,
                "confirmed_at": now,
                "token_version": 1,
                "failures": 0,
            }
            for i in range(subscribers)
        ]
        for start in range(0, len(rows), 10_000):
            db.session.execute(sa.insert(Subscriber), rows[start : start + 10_000])
        db.session.commit()
        incidents.open_incident(
            name="Elevated API errors", body="We are investigating elevated errors.", actor=CLI
        )
        db.engine.dispose()


def run_ours(database: str, sink: Sink) -> tuple[float, float, str]:
    """`flask mail deliver` in its own process: (seconds, peak RSS MB, its output)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "flask", "mail", "deliver"],
        cwd=ROOT,
        env=environment(database, sink.port),
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024, result.stdout.strip()


BASELINE = r"""
import smtplib, sys, time
port, count, sample = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
raw = open(sample, "rb").read()  # one of the very messages our job sent: same size, same bytes
recipients = [f"reader{i:06d}@example.com" for i in range(count)]
started = time.perf_counter()
with smtplib.SMTP("127.0.0.1", port) as smtp:
    for recipient in recipients:
        smtp.sendmail("status@example.com", [recipient], raw, mail_options=["BODY=8BITMIME"])
print(time.perf_counter() - started)
"""


def run_baseline(sink: Sink, count: int) -> float:
    """Plain smtplib, one connection, the pre-built message: the rate the wire allows."""
    result = subprocess.run(
        [sys.executable, "-c", BASELINE, str(sink.port), str(count), str(sink.sample)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(result.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--database", help="SQLAlchemy URL (default: a temporary SQLite file)")
    parser.add_argument("--json", action="store_true", help="also write bench/results/fanout.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        database = args.database or f"sqlite:///{Path(scratch) / 'fanout.db'}"
        print(
            f"preparing {args.subscribers:,} subscribers in {database.split('://')[0]} ...",
            flush=True,
        )
        prepare(database, args.subscribers)
        sink = Sink(Path(scratch) / "sample.eml")
        try:
            seconds, peak_mb, output = run_ours(database, sink)
            delivered = sink.count()
            baseline_seconds = run_baseline(sink, args.subscribers)
            total = sink.count()
        finally:
            sink.stop()
    ours_rate = delivered / seconds
    baseline_rate = args.subscribers / baseline_seconds
    ratio = ours_rate / baseline_rate
    print(f"delivery job: {output}")
    print(f"{'':26}{'messages':>10}{'seconds':>10}{'msg/s':>10}")
    for label, count, took, rate in (
        ("ours (flask mail deliver)", delivered, seconds, ours_rate),
        ("baseline (smtplib)", args.subscribers, baseline_seconds, baseline_rate),
    ):
        print(f"{label:26}{count:>10,}{took:>10.1f}{rate:>10,.0f}")
    print(f"ratio ours/baseline: {ratio:.2f} (target >= 0.50)")
    print(f"peak memory of the delivery job: {peak_mb:.0f} MB (target < 300 MB)")
    assert delivered == args.subscribers, f"delivered {delivered} of {args.subscribers}"
    assert total == 2 * args.subscribers
    if args.json:
        out = ROOT / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        (out / "fanout.json").write_text(
            json.dumps(
                {
                    "subscribers": args.subscribers,
                    "ours_per_second": ours_rate,
                    "baseline_per_second": baseline_rate,
                    "ratio": ratio,
                    "peak_rss_mb": peak_mb,
                    "seconds": seconds,
                    "baseline_seconds": baseline_seconds,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
