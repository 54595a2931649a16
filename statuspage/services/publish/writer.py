"""Writing the published site into a folder: a new build beside the old ones, swapped in at
once by a symlink, so nginx never serves half a site; old builds pruned."""

from __future__ import annotations

import gzip
import os
import shutil
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from statuspage.services.publish.site import PublishedFile, PublishError

#: Builds kept beside the one in use (a reader still streaming a file of the previous build
#: keeps its descriptor; keeping a few lets an operator point the link back by hand).
KEEP_BUILDS = 3
#: Types already compressed, or not worth it: no `.gz` is written beside them.
_INCOMPRESSIBLE = ("image/png", "image/jpeg", "image/gif", "image/webp", "font/woff2")


def compressible(content_type: str) -> bool:
    """Whether a precompressed copy is worth keeping (text, JSON, XML, SVG, calendars)."""
    return not content_type.split(";")[0].strip().startswith(_INCOMPRESSIBLE)


def gzip_body(body: bytes) -> bytes:
    """The same bytes on every run (no time in the header): an unchanged file stays unchanged."""
    return gzip.compress(body, compresslevel=9, mtime=0)


def builds_folder(target: Path) -> Path:
    return target.with_name(target.name + ".builds")


def write_build(files: Iterable[PublishedFile], folder: Path) -> int:
    """Each file and its `.gz` into *folder*; the number of files written (not counting .gz)."""
    count = 0
    for file in files:
        path = folder / file.file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(file.body)
        if compressible(file.content_type):
            path.with_name(path.name + ".gz").write_bytes(gzip_body(file.body))
        count += 1
    return count


def check_target(target: Path) -> None:
    """Refuse to replace anything but our own link (a folder of someone's files, say)."""
    if target.exists() and not target.is_symlink():
        raise PublishError(f"{target} exists and is not a published site's link; move it away.")


def swap_link(target: Path, build: Path) -> None:
    """Point *target* at *build* in one rename: readers see the old site or the new one."""
    check_target(target)
    temporary = target.with_name(f".{target.name}.{build.name}.link")
    temporary.unlink(missing_ok=True)
    os.symlink(os.path.relpath(build, target.parent), temporary)
    os.replace(temporary, target)


def prune_builds(target: Path, keep: int = KEEP_BUILDS) -> list[Path]:
    """Remove all but the newest *keep* builds; never the one *target* points at."""
    current = target.resolve()
    builds = sorted(p for p in builds_folder(target).iterdir() if p.is_dir())
    removed = [p for p in builds[:-keep] if p.resolve() != current] if keep else []
    for path in removed:
        shutil.rmtree(path)
    return removed


def publish_to_folder(
    files: Iterable[PublishedFile], target: Path, *, now: datetime, keep: int = KEEP_BUILDS
) -> tuple[Path, int]:
    """Build the site in a new folder, swap it in, prune; the build and its file count.

    A publish that fails midway leaves its unfinished folder (never linked) for the next
    publish's pruning, and the site in use untouched.
    """
    target = target.absolute()
    check_target(target)
    build = builds_folder(target) / now.strftime("%Y%m%dT%H%M%S%fZ")
    build.mkdir(parents=True)
    count = write_build(files, build)
    swap_link(target, build)
    prune_builds(target, keep)
    return build, count
