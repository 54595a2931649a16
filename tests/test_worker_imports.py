"""A web worker imports only what serving needs: the migration tools, the S3 client, the HTTP
client, the password scorer, iCalendar and the scheduler load in the processes that use them,
and `flask db` still works (Flask-Migrate loads when the group is first used)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.test_scheduler import scheduler_env

ROOT = Path(__file__).resolve().parent.parent

#: Top-level packages a worker serving the public page must not have imported.
NOT_IN_A_WORKER = {
    "alembic",
    "apscheduler",
    "boto3",
    "botocore",
    "flask_migrate",
    "httpx",
    "icalendar",
    "mako",
    "zxcvbn",
}

PROBE = """
import sys
import wsgi
client = wsgi.app.test_client()
for path in ("/", "/history", "/api/v2/summary.json", "/history.atom", "/healthz"):
    assert client.get(path).status_code == 200, path
print(" ".join(sorted({m.split(".")[0] for m in sys.modules})))
"""


def flask(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_flask_db_loads_the_migrations_when_used_and_a_worker_never_does(tmp_path):
    env = scheduler_env(f"sqlite:///{tmp_path / 'worker.db'}")
    listed = flask("db", "--help", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "upgrade" in listed.stdout and "downgrade" in listed.stdout
    upgraded = flask("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    current = flask("db", "current", env=env)
    assert current.returncode == 0, current.stderr
    assert "(head)" in current.stdout

    served = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert served.returncode == 0, served.stderr
    loaded = set(served.stdout.split())
    assert "flask" in loaded and "sqlalchemy" in loaded  # the probe sees real imports
    assert loaded & NOT_IN_A_WORKER == set()
