"""Content-addressed blob storage for photo variants and documents.

Keys are ``ab/cd/<sha256><suffix>``: the same bytes always get the same key, so a retried
upload (flaky site Wi-Fi, offline outbox replay) stores nothing twice, and a key can never
be made to point outside the storage root because only that exact shape is accepted.

:class:`LocalStorage` writes a temporary file in the destination directory, fsyncs it,
``os.replace``-s it into place and fsyncs the directory: after a crash or power cut a final
key holds either nothing or the complete file, never a prefix. Leftover temporary files
(``.tmp-*.part``) are ignored by :meth:`LocalStorage.iter_keys` and removed by
:meth:`LocalStorage.remove_stale_temp_files`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

import anyio.to_thread

_SUFFIX = re.compile(r"\.[a-z0-9]{1,8}")
_KEY = re.compile(r"([0-9a-f]{2})/([0-9a-f]{2})/(\1\2[0-9a-f]{60})\.[a-z0-9]{1,8}")
_TEMP_PREFIX, _TEMP_SUFFIX = ".tmp-", ".part"


class InvalidKey(ValueError):
    """A key that is not ``ab/cd/<sha256>.<ext>`` (e.g. ``..``, an absolute path)."""


def key_for(data: bytes, suffix: str) -> str:
    """The content-addressed key ``data`` is stored under."""
    if not _SUFFIX.fullmatch(suffix):
        raise ValueError(f"suffix must look like '.jpg', got {suffix!r}")
    digest = hashlib.sha256(data).hexdigest()
    return f"{digest[:2]}/{digest[2:4]}/{digest}{suffix}"


def check_key(key: str) -> str:
    """Return ``key`` if well formed, else raise :class:`InvalidKey` (never touches disk)."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise InvalidKey(f"invalid storage key: {key!r}")
    return key


@runtime_checkable
class Storage(Protocol):
    """Where blobs live. Async methods never block the event loop.

    ``open`` raises ``FileNotFoundError`` for a missing key and every method raises
    :class:`InvalidKey` for a malformed one. ``path_for`` is a pure computation (``None``
    when the backend has no local files) and ``iter_keys`` is a blocking walk meant for
    maintenance jobs such as the orphan check: run it in a thread or a CLI command.
    """

    async def put(self, data: bytes, *, suffix: str) -> str: ...

    async def open(self, key: str) -> bytes: ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None: ...

    def path_for(self, key: str) -> Path | None: ...

    def iter_keys(self) -> Iterator[str]: ...


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalStorage:
    """:class:`Storage` on a local directory (one machine, or a shared POSIX filesystem)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, key: str) -> Path:
        """Absolute path of ``key`` (it may not exist); e.g. for X-Accel-Redirect."""
        return self.root / check_key(key)

    async def put(self, data: bytes, *, suffix: str) -> str:
        """Store ``data`` durably and return its key; storing it again is a no-op."""
        return await anyio.to_thread.run_sync(functools.partial(self.put_sync, data, suffix))

    async def open(self, key: str) -> bytes:
        """The stored bytes; ``FileNotFoundError`` if absent."""
        return await anyio.to_thread.run_sync(self.path_for(key).read_bytes)

    async def exists(self, key: str) -> bool:
        return await anyio.to_thread.run_sync(self.path_for(key).is_file)

    async def delete(self, key: str) -> None:
        """Remove ``key``; deleting a missing key is not an error (idempotent)."""
        path = self.path_for(key)
        await anyio.to_thread.run_sync(functools.partial(path.unlink, missing_ok=True))

    def put_sync(self, data: bytes, suffix: str) -> str:
        """Blocking body of :meth:`put`, for worker threads and scripts."""
        key = key_for(data, suffix)
        final = self.root / key
        with contextlib.suppress(OSError):
            if final.stat().st_size == len(data):
                return key  # same name means same SHA-256: already stored
        created = self._make_dirs(final.parent)
        fd, tmp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=_TEMP_SUFFIX, dir=final.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                os.fchmod(fh.fileno(), 0o644)  # mkstemp makes 0600; a web server may serve it
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp_name, final)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
        _fsync_dir(final.parent)
        for directory in created:  # make new directory entries durable too
            _fsync_dir(directory.parent)
        return key

    def _make_dirs(self, directory: Path) -> list[Path]:
        """mkdir -p that reports which directories it created (to fsync their parents)."""
        created: list[Path] = []
        for candidate in (directory.parent, directory):
            try:
                candidate.mkdir(parents=True)
                created.append(candidate)
            except FileExistsError:
                pass
        return created

    def iter_keys(self) -> Iterator[str]:
        """Every stored key (blocking walk; temporary files are skipped)."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob("??/??/*")):
            key = path.relative_to(self.root).as_posix()
            if _KEY.fullmatch(key) and path.is_file():
                yield key

    def remove_stale_temp_files(self, older_than: float = 3600.0) -> int:
        """Delete temporary files left by a crash mid-write; returns how many went."""
        cutoff, removed = time.time() - older_than, 0
        for path in self.root.glob(f"??/??/{_TEMP_PREFIX}*{_TEMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed
