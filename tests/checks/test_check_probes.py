"""Each probe against real local targets: HTTP, HTTPS with a test CA, TCP, and DNS."""

from __future__ import annotations

from statuspage.enums import CheckKind
from statuspage.services.checks.probes import ProbeOptions, ProbeTarget, run_probe

NO_CA = ProbeOptions()


def http(url: str, **fields: object) -> ProbeTarget:
    return ProbeTarget(check_id="c", kind=CheckKind.HTTP, timeout=2.0, url=url, **fields)  # type: ignore[arg-type]


def test_an_expected_status_with_its_keyword_is_up(http_server):
    result = run_probe(http(f"http://{http_server}/ok", keyword="healthy"), NO_CA)
    assert result.ok and result.detail == "HTTP 200."
    assert result.latency_ms is not None and result.latency_ms > 0
    assert result.cert_days is None and result.warning is None


def test_a_status_outside_the_expected_ones_is_down(http_server):
    result = run_probe(http(f"http://{http_server}/down"), NO_CA)
    assert not result.ok and result.detail == "HTTP 503, expected 2xx."
    listed = run_probe(http(f"http://{http_server}/ok", expected_statuses=(201, 204)), NO_CA)
    assert not listed.ok and listed.detail == "HTTP 200, expected 201, 204."
    assert run_probe(http(f"http://{http_server}/down", expected_statuses=(503,)), NO_CA).ok


def test_a_missing_keyword_is_down(http_server):
    result = run_probe(http(f"http://{http_server}/ok", keyword="on fire"), NO_CA)
    assert not result.ok and "'on fire' is not in the body" in result.detail


def test_a_head_request_reads_no_body(http_server):
    assert run_probe(http(f"http://{http_server}/created", method="HEAD"), NO_CA).ok


def test_a_server_that_never_answers_times_out(silent_port):
    target = ProbeTarget(
        check_id="c", kind=CheckKind.HTTP, timeout=0.2, url=f"http://127.0.0.1:{silent_port}/"
    )
    result = run_probe(target, NO_CA)
    assert not result.ok and result.detail == "No answer within 0.2 s."


def test_a_refused_connection_is_down(closed_port):
    result = run_probe(http(f"http://127.0.0.1:{closed_port}/"), NO_CA)
    assert not result.ok and "ConnectError" in result.detail
    tcp = ProbeTarget(
        check_id="c", kind=CheckKind.TCP, timeout=1.0, host="127.0.0.1", port=closed_port
    )
    refused = run_probe(tcp, NO_CA)
    assert not refused.ok and refused.detail.startswith("Connect failed:")


def test_https_through_the_configured_ca_bundle_keeps_the_certificate_days(https_server, ca_bundle):
    address = https_server(days=200)
    result = run_probe(http(f"https://{address}/ok", tls_warn_days=14), ProbeOptions(ca_bundle))
    assert result.ok and result.warning is None
    assert result.cert_days == 200
    # Without the test CA the certificate is not trusted: down, with the reason.
    untrusted = run_probe(http(f"https://{address}/ok"), NO_CA)
    assert not untrusted.ok and "CERTIFICATE_VERIFY_FAILED" in untrusted.detail


def test_a_certificate_expiring_soon_is_up_with_a_warning(https_server, ca_bundle):
    address = https_server(days=5)
    result = run_probe(http(f"https://{address}/ok", tls_warn_days=14), ProbeOptions(ca_bundle))
    assert result.ok and result.cert_days == 5
    assert result.warning == "The TLS certificate expires in 5 days."
    quiet = run_probe(http(f"https://{address}/ok", tls_warn_days=0), ProbeOptions(ca_bundle))
    assert quiet.ok and quiet.warning is None


def test_tcp_connects_to_a_listener(silent_port):
    target = ProbeTarget(
        check_id="c", kind=CheckKind.TCP, timeout=1.0, host="127.0.0.1", port=silent_port
    )
    result = run_probe(target, NO_CA)
    assert result.ok and result.detail == f"Connected to 127.0.0.1:{silent_port}."


def test_dns_resolves_localhost_and_fails_on_an_invalid_name():
    target = ProbeTarget(check_id="c", kind=CheckKind.DNS, timeout=2.0, hostname="localhost")
    result = run_probe(target, NO_CA)
    assert result.ok and "127.0.0.1" in result.detail
    bad = ProbeTarget(check_id="c", kind=CheckKind.DNS, timeout=2.0, hostname="name.invalid")
    failed = run_probe(bad, NO_CA)
    # A resolver with no name server may also give up only after the timeout: down either way.
    assert not failed.ok
    assert failed.detail.startswith(("name.invalid did not resolve", "No answer within"))
