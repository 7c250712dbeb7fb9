"""Serving stored photo variants through the authorization layer, for every surface."""

from __future__ import annotations

from uuid import UUID

from litestar import Response

from backend.access import Actor
from backend.db import get_db
from backend.errors import NotFound
from backend.media.queries import VARIANTS, get_media
from backend.media.storage_access import get_storage


async def serve_variant(actor: Actor, media_id: UUID, variant: str) -> Response[bytes]:
    if variant not in VARIANTS:
        raise NotFound()
    row = await get_media(get_db(), actor, media_id)
    key = row["thumb_key"] if variant == "thumb" else row["display_key"]
    try:
        data = await get_storage().open(key)
    except (FileNotFoundError, ValueError):
        raise NotFound() from None
    return Response(
        content=data,
        media_type="image/jpeg",
        headers={"Cache-Control": "private, max-age=86400, immutable",
                 "Content-Disposition": "inline"},
    )
