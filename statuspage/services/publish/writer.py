"""Writing the published site into a folder: a new build beside the old ones, swapped in at
once by a symlink, so nginx never serves half a site; old builds pruned.

An incremental publish either replaces the re-rendered files in the build in use, each in
one rename (a reader gets the old page or the new one, never part of one), removals first and
the pages that link to others last; or, with snapshots, makes a new build of the previous
one's files as hard links (no bytes copied) plus the re-rendered ones, swapped in by the same
link: a whole site at once, at the cost of one link per file (docs/benchmarks.md).
"""

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


def _write_new(path: Path, body: bytes) -> None:
    """A new file (a new inode): a hard link to the previous build's copy is never written
    through, so the build in use never changes under a reader."""
    path.unlink(missing_ok=True)
    path.write_bytes(body)


def link_build(previous: Path, folder: Path, *, leave_out: set[str]) -> int:
    """Hard-link every file of *previous* into *folder* but those named in *leave_out* (and
    their `.gz`); how many were linked."""
    count = 0
    for directory, _, names in os.walk(previous):
        relative = os.path.relpath(directory, previous)
        into = folder if relative == "." else folder / relative
        into.mkdir(parents=True, exist_ok=True)
        for name in names:
            file_name = name if relative == "." else f"{relative}/{name}"
            if file_name in leave_out or file_name.removesuffix(".gz") in leave_out:
                continue
            os.link(os.path.join(directory, name), into / name)
            count += 1
    return count


def replace_in_build(files: Iterable[PublishedFile], build: Path, *, removed: set[str]) -> int:
    """Remove *removed* (file names) from *build*, then put each file in place with a rename,
    in the order given; how many were written."""
    for name in sorted(removed):
        for path in (build / name, build / f"{name}.gz"):
            path.unlink(missing_ok=True)
    count = 0
    for file in files:
        path = build / file.file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        bodies = [(path, file.body)]
        if compressible(file.content_type):
            bodies.insert(0, (path.with_name(path.name + ".gz"), gzip_body(file.body)))
        for into, body in bodies:
            temporary = into.with_name(f".{into.name}.{os.getpid()}.new")
            temporary.write_bytes(body)
            os.replace(temporary, into)
        count += 1
    return count


def new_build(target: Path, now: datetime) -> Path:
    """An empty build folder named by *now* (a second one in the same microsecond gets a
    suffix)."""
    stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
    build = builds_folder(target) / stamp
    suffix = 1
    while build.exists():
        build = builds_folder(target) / f"{stamp}-{suffix}"
        suffix += 1
    build.mkdir(parents=True)
    return build


def write_build(files: Iterable[PublishedFile], folder: Path) -> int:
    """Each file and its `.gz` into *folder*; the number of files written (not counting .gz)."""
    count = 0
    for file in files:
        path = folder / file.file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_new(path, file.body)
        if compressible(file.content_type):
            _write_new(path.with_name(path.name + ".gz"), gzip_body(file.body))
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
    build = new_build(target, now)
    count = write_build(files, build)
    swap_link(target, build)
    prune_builds(target, keep)
    return build, count


def publish_changes_to_folder(
    files: Iterable[PublishedFile],
    target: Path,
    *,
    replaced: set[str],
    removed: set[str],
    now: datetime,
    keep: int = KEEP_BUILDS,
) -> tuple[Path, int]:
    """A new build from the one in use: its files linked, but *removed* and *replaced* (file
    names), then *files* written; swapped in, pruned. The build and the files written."""
    target = target.absolute()
    check_target(target)
    previous = target.resolve()
    build = new_build(target, now)
    link_build(previous, build, leave_out=replaced | removed)
    count = write_build(files, build)
    swap_link(target, build)
    prune_builds(target, keep)
    return build, count
