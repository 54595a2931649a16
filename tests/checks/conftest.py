"""Local targets for the built-in checks: an HTTP server, an HTTPS one with a certificate from
a test CA (trustme), a TCP listener that accepts and never answers, and a port nobody listens
on. Each is started by the test that asks for it and stopped after it."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme

from statuspage.enums import CheckKind
from statuspage.services.checks import configure
from statuspage.services.checks.configure import CheckInput
from tests.conftest import ACTOR

#: path -> (status, body) the local HTTP servers answer.
ROUTES = {
    "/ok": (200, b"<p>all healthy here</p>"),
    "/created": (201, b"made"),
    "/down": (503, b"maintenance"),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, body = ROUTES.get(self.path, (404, b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self) -> None:
        status, body = ROUTES.get(self.path, (404, b""))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True


def _serve(server: Server) -> Iterator[str]:
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def http_server() -> Iterator[str]:
    """http://<this> answers ROUTES."""
    yield from _serve(Server(("127.0.0.1", 0), Handler))


@pytest.fixture
def switch() -> Iterator[Callable[[int], None]]:
    """Set what /switch answers (200 or anything else) for the rest of the test."""

    def set_status(status: int) -> None:
        ROUTES["/switch"] = (status, b"switched")

    set_status(200)
    yield set_status
    ROUTES.pop("/switch", None)


@pytest.fixture(scope="session")
def test_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_bundle(test_ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    test_ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def https_server(test_ca: trustme.CA) -> Callable[..., Iterator[str]]:
    """A factory: an HTTPS server whose certificate (for localhost) expires after *days*."""
    servers: list[Iterator[str]] = []

    def start(days: int = 365) -> str:
        cert = test_ca.issue_cert(
            "localhost", "127.0.0.1", not_after=datetime.now(UTC) + timedelta(days=days, hours=1)
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        server = Server(("127.0.0.1", 0), Handler)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        running = _serve(server)
        servers.append(running)
        address = next(running)
        return f"localhost:{address.rsplit(':', 1)[1]}"

    yield start  # type: ignore[misc]
    for running in servers:
        for _ in running:  # runs its finally: shutdown and close
            pass


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


@pytest.fixture
def closed_port() -> int:
    """A port nobody listens on: connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def make_check(app: Any, now: datetime) -> Callable[..., Any]:
    """A check on *component* (HTTP unless told), made by ACTOR well before *now*."""
    counter = iter(range(1, 1000))

    def make(component: Any, **fields: Any) -> Any:
        fields.setdefault("kind", CheckKind.HTTP)
        fields.setdefault("name", f"Check {next(counter)}")
        at = fields.pop("at", now - timedelta(days=1))
        return configure.create_check(component, CheckInput(**fields), actor=ACTOR, now=at)

    return make
