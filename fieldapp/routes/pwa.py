"""What makes the field app installable and usable offline: the manifest, the service
worker (served under ``/field/`` so its scope covers the app) and the offline fallback page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from litestar import Request, Response, get

from backend.web.auth import current_actor, request_locale
from backend.web.pages import page
from backend.web.templating import STATIC_VERSION

PWA = Path(__file__).resolve().parent.parent / "pwa"


def _static(path: str) -> str:
    return f"/static/{path}?v={STATIC_VERSION}"


# The versioned app shell the service worker precaches on install.
SHELL = ["/field/offline", *[_static(p) for p in (
    "css/tokens.css", "css/base.css", "css/components.css", "css/field.css",
    "vendor/htmx/htmx.min.js", "js/app.js", "js/signature.js",
    "vendor/signature_pad/signature_pad.umd.min.js", "js/field/store.js",
    "js/field/outbox.js", "js/field/app.js", "icons/favicon.svg", "icons/sprite.svg",
    "icons/icon-192.png")]]


@get("/sw.js", name="field.service_worker")
async def service_worker(request: Request[Any, Any, Any]) -> Response[str]:
    """The service worker, with this release's shell list, cache version and push renewal
    URL filled in."""
    source = (PWA / "sw.js").read_text(encoding="utf-8")
    source = source.replace("__VERSION__", STATIC_VERSION).replace(
        "__SHELL__", json.dumps(SHELL)).replace(
        "__PUSH_RENEW_URL__", json.dumps(request.app.route_reverse("field.push_renew")))
    return Response(content=source, media_type="text/javascript",
                    headers={"Cache-Control": "no-cache"})


@get("/manifest.webmanifest", name="field.manifest")
async def manifest(request: Request[Any, Any, Any]) -> Response[str]:
    """The web app manifest (name in the viewer's language)."""
    locale = request_locale(request, await current_actor(request))
    zh = locale.startswith("zh")
    data = {
        "name": "HomeLoop 师傅端" if zh else "HomeLoop Field",
        "short_name": "师傅端" if zh else "HL Field",
        "lang": "zh-CN" if zh else "en",
        "id": "/field/",
        "start_url": "/field/",
        "scope": "/field/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#0b7261",
        "icons": [
            {"src": _static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": _static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": _static("icons/icon-maskable-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "maskable"},
        ],
    }
    return Response(content=json.dumps(data, ensure_ascii=False),
                    media_type="application/manifest+json",
                    headers={"Cache-Control": "no-cache", "Vary": "Cookie, Accept-Language"})


@get("/offline", name="field.offline")
async def offline(request: Request[Any, Any, Any]) -> Response[str]:
    """Shown by the service worker for a page that is not available offline."""
    return await page(request, "fieldapp/offline.html")


HANDLERS = [service_worker, manifest, offline]
