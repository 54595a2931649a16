"""A real nginx serving a published folder with the generated config, on a free port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from statuspage.services.publish.nginx import build_nginx_config
from tests.conftest import free_port

NGINX = "/usr/sbin/nginx"


def nginx_available() -> bool:
    return shutil.which(NGINX) is not None


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until nginx accepts connections (a readiness poll, no assertion on time)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {log.read_text() if log.exists() else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.01)
    raise RuntimeError("nginx did not start")


@contextmanager
def serve(root: Path, prefix: Path, *, bare: bool = False) -> Iterator[str]:
    """nginx in the foreground (daemon off), everything it writes under *prefix*; its URL.
    *bare*: a plain `root` server instead of the generated config (a benchmark's baseline)."""
    port = free_port()
    prefix.mkdir(parents=True, exist_ok=True)
    listen = f"127.0.0.1:{port}"
    server = (
        f"server {{\n  listen {listen};\n  root {root};\n}}\n"
        if bare
        else build_nginx_config(root, listen)
    )
    (prefix / "statuspage.conf").write_text(server)
    temp = {name: prefix / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the tmp folder
    (prefix / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log warn;\n"
        "events { worker_connections 64; }\n"
        "http {\n  access_log off;\n"
        f"  client_body_temp_path {temp['body']};\n  proxy_temp_path {temp['proxy']};\n"
        f"  fastcgi_temp_path {temp['fastcgi']};\n  uwsgi_temp_path {temp['uwsgi']};\n"
        f"  scgi_temp_path {temp['scgi']};\n"
        f"  include {prefix}/statuspage.conf;\n}}\n"
    )
    process = subprocess.Popen(  # noqa: S603 (a fixed binary and our own files)
        [
            NGINX,
            "-p",
            str(prefix),
            "-e",
            str(prefix / "error.log"),
            "-c",
            str(prefix / "nginx.conf"),
        ]
        + ["-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, process, prefix / "error.log")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
