"""Pushing the published site to S3-compatible object storage: only what changed.

Each object's body is what a reader gets: for compressible types the gzip body with
`Content-Encoding: gzip` (object storage does not negotiate, and every browser, feed reader
and HTTP library sends `Accept-Encoding: gzip`), others as they are. An object whose ETag is
the MD5 of the body we would upload is left alone; an object under the prefix that the site
no longer has (an incident made internal) is deleted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from statuspage.services.publish.nginx import ASSET_CACHE_CONTROL, PAGE_CACHE_CONTROL
from statuspage.services.publish.site import PublishedFile, PublishError
from statuspage.services.publish.writer import compressible, gzip_body


@dataclass(frozen=True)
class S3Target:
    bucket: str
    prefix: str

    @classmethod
    def parse(cls, url: str) -> S3Target:
        """`s3://bucket/prefix` (the prefix may be empty)."""
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise PublishError(f"{url} is not s3://bucket/prefix.")
        prefix = parts.path.strip("/")
        return cls(parts.netloc, f"{prefix}/" if prefix else "")


@dataclass(frozen=True)
class UploadReport:
    uploaded: list[str]
    unchanged: int
    deleted: list[str]


def s3_client(endpoint_url: str | None) -> Any:
    """A client for AWS or any S3-compatible store; credentials from the usual AWS
    environment variables and files."""
    import boto3  # type: ignore[import-untyped]  # imported when used: a web worker never needs it (bench/read_side.py, RSS)

    return boto3.client("s3", endpoint_url=endpoint_url or None)


def _object(file: PublishedFile) -> dict[str, Any]:
    """The put_object arguments of *file* (its key aside)."""
    cache = ASSET_CACHE_CONTROL if file.url_path.startswith("/static/") else PAGE_CACHE_CONTROL
    extra: dict[str, Any] = {"ContentType": file.content_type, "CacheControl": cache}
    body = file.body
    if compressible(file.content_type):
        body = gzip_body(body)
        extra["ContentEncoding"] = "gzip"
    return {"Body": body, **extra}


def _etags(client: Any, target: S3Target) -> dict[str, str]:
    """Key -> ETag (quotes stripped) of every object under the prefix."""
    found: dict[str, str] = {}
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=target.bucket, Prefix=target.prefix
    ):
        for item in page.get("Contents", []):
            found[item["Key"]] = item["ETag"].strip('"')
    return found


def upload_site(files: Iterable[PublishedFile], target: S3Target, client: Any) -> UploadReport:
    """Upload what differs from the bucket, delete what the site no longer has."""
    existing = _etags(client, target)
    uploaded, unchanged, keys = [], 0, set()
    for file in files:
        key = target.prefix + file.object_key
        keys.add(key)
        put = _object(file)
        if existing.get(key) == hashlib.md5(put["Body"], usedforsecurity=False).hexdigest():
            unchanged += 1
            continue
        client.put_object(Bucket=target.bucket, Key=key, **put)
        uploaded.append(key)
    stale = sorted(set(existing) - keys)
    for start in range(0, len(stale), 1000):
        batch = [{"Key": key} for key in stale[start : start + 1000]]
        client.delete_objects(Bucket=target.bucket, Delete={"Objects": batch})
    return UploadReport(uploaded=uploaded, unchanged=unchanged, deleted=stale)
