"""What a published folder was built from, kept beside its builds, and the lock that lets one
publisher at a time act on it.

The state file (`DIR.builds/state.json`) names the build it describes, the public page
version and the audit log position that build was rendered from, when the last full rebuild
ran, and every page's file: the next incremental publish starts from it, after a restart too.
It is written (a temporary file renamed over it) only after the symlink points at its build,
so a publish that dies midway leaves a state whose build is not the link's: the next publish
then rebuilds everything rather than trust it. The lock (`DIR.builds/publish.lock`, an
`flock`) is held for a whole publish: a scheduler job and a `flask publish watch` (or a
`flask publish --to DIR` run by hand) on the same folder take turns, and the second finds the
first's state already up to date.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from statuspage.services.publish.writer import builds_folder

STATE_FILE = "state.json"
LOCK_FILE = "publish.lock"


@dataclass
class PublishState:
    """The build in use and the database position it shows."""

    build: str
    version: int
    audit_id: int
    full_at: datetime
    #: url path -> file name (relative to the build) of every page, static files aside.
    files: dict[str, str] = field(default_factory=dict)
    #: Audit ids below `audit_id` not seen yet (a transaction still open when it was read;
    #: PostgreSQL hands ids out before commit) -> when they were first missed (epoch seconds).
    gaps: dict[int, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "build": self.build,
            "version": self.version,
            "audit_id": self.audit_id,
            "full_at": self.full_at.isoformat(),
            "files": self.files,
            "gaps": {str(key): value for key, value in self.gaps.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PublishState:
        return cls(
            build=str(data["build"]),
            version=int(data["version"]),
            audit_id=int(data["audit_id"]),
            full_at=datetime.fromisoformat(data["full_at"]),
            files={str(k): str(v) for k, v in data["files"].items()},
            gaps={int(k): float(v) for k, v in data.get("gaps", {}).items()},
        )


def state_path(target: Path) -> Path:
    return builds_folder(target.absolute()) / STATE_FILE


def read_state(target: Path) -> PublishState | None:
    """The state of the build *target* links to; None when there is none to trust (no state,
    an unreadable one, or one describing another build than the link's)."""
    target = target.absolute()
    try:
        state = PublishState.from_json(json.loads(state_path(target).read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not target.is_symlink() or target.resolve() != builds_folder(target) / state.build:
        return None
    return state


def write_state(target: Path, state: PublishState) -> None:
    """Replace the state in one rename: a reader finds the old one or the new one."""
    path = state_path(target)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps(state.to_json(), separators=(",", ":")))
    os.replace(temporary, path)


@contextmanager
def publish_lock(target: Path, *, wait: bool) -> Iterator[bool]:
    """Hold the folder's publish lock; yields False (without waiting) when another publisher
    holds it and *wait* is False."""
    folder = builds_folder(target.absolute())
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_FILE, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
