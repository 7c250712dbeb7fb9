"""Two uploads of the same photo share content-addressed files. When one fails and cleans up
while the other is being recorded, the recorded photo must still have its files, whichever
happens first."""

from __future__ import annotations

import pytest

from backend.access import Actor
from backend.media.services import discard_prepared, prepare_photo, record_photo
from backend.media.storage_access import get_storage
from tests import factories as f
from tests.portal_helpers import jpeg

pytestmark = pytest.mark.integration


async def _present(keys: dict[str, str]) -> list[bool]:
    storage = get_storage()
    return [await storage.exists(key) for key in keys.values()]


async def test_a_failed_twin_never_leaves_the_recorded_photo_without_files(db) -> None:  # type: ignore[no-untyped-def]
    admin = await f.make_staff(db, role="admin")
    actor = Actor(kind="staff", id=admin["id"], role="admin", name="t")
    data = jpeg((17, 171, 71))
    failed, kept = await prepare_photo(data), await prepare_photo(data)
    assert failed.keys == kept.keys  # the same content: the same files

    # The twin fails first and cleans up: no row uses the files yet, so they go ...
    await discard_prepared(db, [failed])
    assert not any(await _present(failed.keys))
    # ... and recording the other one writes them again before its row points to them.
    async with db.transaction():
        row = await record_photo(db, actor=actor, prepared=kept, caption="twin")
    assert all(await _present(kept.keys))

    # The other order: the photo is recorded, then a later twin fails; its cleanup sees the
    # row and keeps the files.
    late = await prepare_photo(data)
    await discard_prepared(db, [late])
    assert all(await _present(kept.keys))
    stored = await db.fetchval("SELECT count(*) AS n FROM media WHERE id = $1", row["id"])
    assert stored == 1
