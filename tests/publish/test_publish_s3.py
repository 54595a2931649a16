"""`flask publish --to s3://bucket/prefix` against an S3-compatible server (moto's server mode
on a free port): types, encodings and cache headers right, only changed files uploaded,
vanished pages deleted."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from statuspage.database import utcnow
from statuspage.enums import Visibility
from statuspage.extensions import db
from statuspage.models import Incident
from statuspage.services.notices import incidents
from statuspage.services.page.history import Month
from statuspage.services.publish.s3 import S3Target, upload_site
from statuspage.services.publish.site import build_site
from tests.conftest import ACTOR, free_port


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    name = f"status-{free_port()}"
    client.create_bucket(Bucket=name)
    return client, name


def upload(app, client, name):
    files = build_site(app, current=Month.of(utcnow()))
    return upload_site(files, S3Target.parse(f"s3://{name}/site"), client)


def test_the_site_is_uploaded_with_its_types_encodings_and_cache_headers(app, demo_page, bucket):
    client, name = bucket
    report = upload(app, client, name)
    assert report.unchanged == 0 and report.deleted == []
    keys = set(report.uploaded)
    assert {"site/index.html", "site/404.html", "site/history", "site/api/v2/summary.json"} <= keys
    assert f"site/incidents/{demo_page.open_incident_id}" in keys
    assert f"site/history/{demo_page.past_month}/index.html" in keys
    summary = client.get_object(Bucket=name, Key="site/api/v2/summary.json")
    assert summary["ContentType"].startswith("application/json")
    assert summary["ContentEncoding"] == "gzip" and summary["CacheControl"] == "public, max-age=60"
    assert (
        gzip.decompress(summary["Body"].read())
        == app.test_client().get("/api/v2/summary.json").data
    )
    page = client.get_object(Bucket=name, Key=f"site/incidents/{demo_page.open_incident_id}")
    assert page["ContentType"].startswith("text/html")
    css = client.get_object(Bucket=name, Key="site/static/css/statuspage.css")
    assert css["CacheControl"] == "public, max-age=300"


def test_only_changed_files_are_uploaded_and_vanished_ones_deleted(
    app, demo_page, bucket, stopped_clock
):
    client, name = bucket
    first = upload(app, client, name)
    again = upload(app, client, name)
    # The same data renders the same bytes: nothing is uploaded twice.
    assert (again.uploaded, again.deleted) == ([], [])
    assert again.unchanged == len(first.uploaded)
    incident = db.session.get(Incident, demo_page.resolved_incident_id)
    incidents.update_incident(
        incident,
        name=incident.name,
        impact=incident.impact,
        visibility=Visibility.INTERNAL,
        actor=ACTOR,
    )
    after = upload(app, client, name)
    assert f"site/incidents/{demo_page.resolved_incident_id}" in after.deleted
    assert "site/api/v2/incidents.json" in after.uploaded


def test_the_cli_reads_the_endpoint_from_the_config(app, demo_page, bucket, s3_endpoint):
    client, name = bucket
    app.config["PUBLISH_S3_ENDPOINT_URL"] = s3_endpoint
    result = app.test_cli_runner().invoke(args=["publish", "--to", f"s3://{name}/cli"])
    assert result.exit_code == 0, result.output
    assert "Uploaded" in result.output
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=name, Prefix="cli/")["Contents"]]
    assert "cli/index.html" in keys
