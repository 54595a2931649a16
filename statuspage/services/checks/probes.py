"""The probes: one HTTP(S) request, one TCP connect, one DNS resolve, each bounded by a timeout.

Probes run in worker threads, so they read a `ProbeTarget` (plain values copied from the check)
and never the database session. Every outcome, refused or timed out included, is a
`ProbeResult`; a probe never raises.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

from statuspage.enums import CheckKind, DnsRecordType
from statuspage.limits import CHECK_MAX_BODY_BYTES, MAX_CHECK_DETAIL
from statuspage.models import Check


@dataclass(frozen=True)
class ProbeTarget:
    """What one probe needs to know, copied out of its check before the threads start."""

    check_id: str
    kind: CheckKind
    timeout: float
    url: str | None = None
    method: str = "GET"
    expected_statuses: tuple[int, ...] = ()
    keyword: str | None = None
    tls_warn_days: int = 0
    host: str | None = None
    port: int | None = None
    hostname: str | None = None
    record_type: str = DnsRecordType.A.value

    @classmethod
    def of(cls, check: Check) -> ProbeTarget:
        return cls(
            check_id=check.id,
            kind=check.kind,
            timeout=check.timeout_seconds,
            url=check.url,
            method=check.method or "GET",
            expected_statuses=tuple(check.expected_statuses or ()),
            keyword=check.keyword,
            tls_warn_days=check.tls_warn_days,
            host=check.host,
            port=check.port,
            hostname=check.hostname,
            record_type=check.record_type or DnsRecordType.A.value,
        )


@dataclass(frozen=True)
class ProbeResult:
    """One probe's outcome, as stored in a `CheckResult`."""

    ok: bool
    detail: str
    latency_ms: float | None = None
    cert_days: int | None = None
    warning: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class ProbeOptions:
    """How probes reach their targets: the CA bundle HTTPS trusts (None: the system's)."""

    ca_bundle: str | None = None


def _detail(text: str) -> str:
    """A probe's own words, cut to fit the column (they are never input)."""
    return text if len(text) <= MAX_CHECK_DETAIL else text[: MAX_CHECK_DETAIL - 1] + "…"


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def probe_http(target: ProbeTarget, options: ProbeOptions) -> ProbeResult:
    """Send the request; up when the status is expected and the keyword (if any) is in the
    first `CHECK_MAX_BODY_BYTES` of the body. An HTTPS certificate's days left are kept."""
    verify: ssl.SSLContext | bool = (
        ssl.create_default_context(cafile=options.ca_bundle) if options.ca_bundle else True
    )
    import httpx  # imported when used: a web worker never needs it (bench/read_side.py, RSS)

    started = time.perf_counter()
    cert_days: int | None = None
    try:
        with (
            httpx.Client(verify=verify, timeout=target.timeout, follow_redirects=False) as client,
            client.stream(target.method, target.url or "") as response,
        ):
            cert_days = _cert_days(response)
            body = b""
            if target.keyword and target.method != "HEAD":
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) >= CHECK_MAX_BODY_BYTES:
                        break
            status = response.status_code
    except httpx.TimeoutException:
        return ProbeResult(False, f"No answer within {target.timeout:g} s.", _elapsed_ms(started))
    except httpx.HTTPError as error:
        return ProbeResult(False, _detail(_reason(error)), _elapsed_ms(started))
    latency = _elapsed_ms(started)
    expected = target.expected_statuses
    if (status not in expected) if expected else not 200 <= status < 300:
        wanted = ", ".join(map(str, expected)) if expected else "2xx"
        return ProbeResult(False, f"HTTP {status}, expected {wanted}.", latency, cert_days)
    if target.keyword and target.keyword.encode() not in body[:CHECK_MAX_BODY_BYTES]:
        return ProbeResult(
            False, _detail(f"HTTP {status}, but {target.keyword!r} is not in the body."), latency
        )
    warning = None
    if cert_days is not None and target.tls_warn_days and cert_days <= target.tls_warn_days:
        warning = f"The TLS certificate expires in {cert_days} days."
    return ProbeResult(True, f"HTTP {status}.", latency, cert_days, warning)


def _cert_days(response: httpx.Response) -> int | None:
    """Whole days until the peer certificate's notAfter, for an HTTPS answer."""
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    if ssl_object is None:
        return None
    cert = ssl_object.getpeercert()
    if not cert or "notAfter" not in cert:
        return None
    expires = ssl.cert_time_to_seconds(str(cert["notAfter"]))
    return int((expires - time.time()) // 86_400)


def _reason(error: Exception) -> str:
    """The innermost reason an HTTP request failed ("Connection refused", a TLS error)."""
    cause: BaseException = error
    while cause.__cause__ is not None or cause.__context__ is not None:
        cause = cause.__cause__ or cause.__context__  # type: ignore[assignment]
    text = str(cause) or type(cause).__name__
    return f"{type(error).__name__}: {text}"


def probe_tcp(target: ProbeTarget, options: ProbeOptions) -> ProbeResult:
    """Open a TCP connection and close it: up when the connect succeeds in time."""
    started = time.perf_counter()
    try:
        with socket.create_connection((target.host or "", target.port or 0), target.timeout):
            pass
    except TimeoutError:
        return ProbeResult(
            False, f"No connection within {target.timeout:g} s.", _elapsed_ms(started)
        )
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        return ProbeResult(False, _detail(f"Connect failed: {reason}."), _elapsed_ms(started))
    return ProbeResult(True, f"Connected to {target.host}:{target.port}.", _elapsed_ms(started))


_FAMILIES = {DnsRecordType.A.value: socket.AF_INET, DnsRecordType.AAAA.value: socket.AF_INET6}


def probe_dns(target: ProbeTarget, options: ProbeOptions) -> ProbeResult:
    """Resolve the name through the system resolver (hosts file included): up when it has at
    least one address of the record type. getaddrinfo has no timeout of its own, so it runs in
    a helper thread that is waited for at most the check's timeout."""
    started = time.perf_counter()
    outcome: list[list[str] | OSError] = []

    def resolve() -> None:
        try:
            infos = socket.getaddrinfo(
                target.hostname, None, _FAMILIES[target.record_type], socket.SOCK_STREAM
            )
            outcome.append(sorted({str(info[4][0]) for info in infos}))
        except OSError as error:
            outcome.append(error)

    worker = threading.Thread(target=resolve, name=f"dns-{target.check_id}", daemon=True)
    worker.start()
    worker.join(target.timeout)
    latency = _elapsed_ms(started)
    if not outcome:
        return ProbeResult(False, f"No answer within {target.timeout:g} s.", latency)
    answer = outcome[0]
    if isinstance(answer, OSError):
        reason = answer.strerror or str(answer)
        return ProbeResult(False, _detail(f"{target.hostname} did not resolve: {reason}."), latency)
    return ProbeResult(True, _detail(f"{target.record_type} {', '.join(answer)}."), latency)


#: Each kind's probe.
PROBES: dict[CheckKind, Callable[[ProbeTarget, ProbeOptions], ProbeResult]] = {
    CheckKind.HTTP: probe_http,
    CheckKind.TCP: probe_tcp,
    CheckKind.DNS: probe_dns,
}


def run_probe(target: ProbeTarget, options: ProbeOptions) -> ProbeResult:
    """Probe *target* by its kind; anything unexpected is a failed result, never an error."""
    try:
        return PROBES[target.kind](target, options)
    except Exception as error:  # a probe must not take the batch down with it
        return ProbeResult(False, _detail(f"The probe failed: {type(error).__name__}: {error}"))
