"""Photos for the portal: only stripped variants (thumb, display) of customer-visible photos."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get

from backend.access import Actor
from backend.web.media import serve_variant


@get("/photos/{media_id:uuid}/{variant:str}", name="portal.photo")
async def photo(request: Request[Any, Any, Any], actor: Actor, media_id: UUID,
                variant: str) -> Response:
    return await serve_variant(actor, media_id, variant)


HANDLERS = [photo]
