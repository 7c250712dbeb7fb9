"""Security headers on every response, from the first page.

A strict Content-Security-Policy: no inline script, no eval (htmx is configured for it), no
framing. A ``before_send`` hook, so static files, router 404s and error pages get them too.
"""

from __future__ import annotations

from typing import Any

from litestar.types import Message, Scope

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "media-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"referrer-policy", b"same-origin"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"geolocation=(), microphone=(), camera=(self)"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook: runs for every response, router 404s and errors included."""
    if message["type"] == "http.response.start":
        existing = {name.lower() for name, _ in message.get("headers", [])}
        extra = [(k, v) for k, v in HEADERS if k not in existing]
        message["headers"] = list(message.get("headers", [])) + extra


def strip_nul_from_query(app: Any) -> Any:
    """ASGI middleware: NUL is never meaningful in our query strings and PostgreSQL text
    cannot store it, so ``%00`` is removed before any handler parses a parameter."""

    async def middleware(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"")
            if b"%00" in query or b"\x00" in query:
                scope = dict(scope)  # type: ignore[assignment]
                scope["query_string"] = (query.replace(b"%00", b"")
                                         .replace(b"\x00", b""))
        await app(scope, receive, send)

    return middleware
