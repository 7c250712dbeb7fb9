"""LocalStorage: content-addressed keys, crash-safe writes, no way out of the root."""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
import time
from pathlib import Path

import pytest

from backend.media import storage as storage_module
from backend.media.storage import InvalidKey, LocalStorage, Storage, check_key, key_for

pytestmark = pytest.mark.unit

DATA = b"\xff\xd8\xff pretend this is a jpeg"
DIGEST = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "blobs")


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


async def test_put_open_exists_delete_round_trip(store: LocalStorage) -> None:
    assert isinstance(store, Storage)
    key = await store.put(DATA, suffix=".jpg")
    assert key == f"{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}.jpg" == key_for(DATA, ".jpg")
    assert await store.open(key) == DATA
    assert await store.exists(key)
    assert store.path_for(key) == store.root / key
    assert stat.S_IMODE(store.path_for(key).stat().st_mode) == 0o644
    await store.delete(key)
    assert not await store.exists(key)
    await store.delete(key)  # idempotent
    with pytest.raises(FileNotFoundError):
        await store.open(key)


async def test_same_content_is_stored_once(store: LocalStorage, monkeypatch) -> None:
    key = await store.put(DATA, suffix=".jpg")

    def no_second_write(*args, **kwargs):
        raise AssertionError("an identical put must not write again")

    monkeypatch.setattr(storage_module.tempfile, "mkstemp", no_second_write)
    assert await store.put(DATA, suffix=".jpg") == key
    assert files_under(store.root) == [key]


async def test_concurrent_identical_puts_leave_one_complete_file(store: LocalStorage) -> None:
    keys = await asyncio.gather(*(store.put(DATA, suffix=".jpg") for _ in range(8)))
    assert len(set(keys)) == 1
    assert files_under(store.root) == [keys[0]]
    assert await store.open(keys[0]) == DATA


async def test_damaged_existing_file_is_rewritten(store: LocalStorage) -> None:
    key = await store.put(DATA, suffix=".jpg")
    store.path_for(key).write_bytes(DATA[:5])  # e.g. disk trouble outside our control
    assert await store.put(DATA, suffix=".jpg") == key
    assert await store.open(key) == DATA


async def test_write_is_fsynced_then_renamed_in_place_then_dir_fsynced(
    store: LocalStorage, monkeypatch
) -> None:
    events: list[tuple[str, ...]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        kind = "dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        events.append(("fsync", kind))
        real_fsync(fd)

    def replace(src: str, dst: Path) -> None:
        assert Path(src).parent == Path(dst).parent  # same directory: rename is atomic
        assert not Path(dst).exists()
        events.append(("replace",))
        real_replace(src, dst)

    monkeypatch.setattr(storage_module.os, "fsync", fsync)
    monkeypatch.setattr(storage_module.os, "replace", replace)
    await store.put(DATA, suffix=".jpg")
    assert events[:3] == [("fsync", "file"), ("replace",), ("fsync", "dir")]
    assert set(events[3:]) <= {("fsync", "dir")}  # parents of the new ab/ and ab/cd/


@pytest.mark.parametrize("fail_in", ["replace", "fsync"])
async def test_failed_write_leaves_no_final_file_and_no_temp_file(
    store: LocalStorage, monkeypatch, fail_in: str
) -> None:
    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage_module.os, fail_in, boom)
    with pytest.raises(OSError, match="No space left"):
        await store.put(DATA, suffix=".jpg")
    monkeypatch.undo()
    assert files_under(store.root) == []  # neither a half file at the key nor a temp file
    assert not await store.exists(key_for(DATA, ".jpg"))
    key = await store.put(DATA, suffix=".jpg")  # and a retry succeeds
    assert await store.open(key) == DATA


BAD_KEYS = [
    "../etc/passwd",
    "/etc/passwd",
    f"/{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}.jpg",
    f"{DIGEST[:2]}/{DIGEST[2:4]}/../../{DIGEST}.jpg",
    f"{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}.jpg/..",
    f"{DIGEST[:2]}\\{DIGEST[2:4]}\\{DIGEST}.jpg",
    f"00/00/{DIGEST}.jpg",  # directory does not match the digest
    f"{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST.upper()}.jpg",
    f"{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}",
    f"{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}.jpg\x00.png",
    "",
]


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_malformed_keys_are_refused_everywhere(store: LocalStorage, key: str) -> None:
    with pytest.raises(InvalidKey):
        check_key(key)
    with pytest.raises(InvalidKey):
        store.path_for(key)
    with pytest.raises(InvalidKey):
        await store.open(key)
    with pytest.raises(InvalidKey):
        await store.exists(key)
    with pytest.raises(InvalidKey):
        await store.delete(key)


@pytest.mark.parametrize("suffix", ["", "jpg", "/../x", ".JPG", ".a/b", ".toolongsuffix"])
async def test_bad_suffixes_are_refused(store: LocalStorage, suffix: str) -> None:
    with pytest.raises(ValueError, match="suffix"):
        await store.put(DATA, suffix=suffix)


async def test_iter_keys_lists_blobs_only_and_stale_temps_are_swept(store: LocalStorage) -> None:
    assert list(store.iter_keys()) == []  # root not created yet
    keys = {await store.put(DATA, suffix=".jpg"), await store.put(b"other", suffix=".pdf")}
    directory = store.path_for(next(iter(keys))).parent
    stale, fresh = directory / ".tmp-crashed.part", directory / ".tmp-writing.part"
    for path in (stale, fresh, directory / "notes.txt"):
        path.write_bytes(b"partial")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    assert set(store.iter_keys()) == keys
    assert store.remove_stale_temp_files(older_than=3600) == 1
    assert not stale.exists()
    assert fresh.exists()
