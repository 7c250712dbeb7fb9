"""The process's storage backend, made from the settings (local directory by default)."""

from __future__ import annotations

from backend.config import get_settings
from backend.media.storage import LocalStorage, Storage

_storage: Storage | None = None


def get_storage() -> Storage:
    global _storage
    if _storage is None:
        _storage = LocalStorage(get_settings().media_dir)
    return _storage


def set_storage(storage: Storage | None) -> None:
    global _storage
    _storage = storage
