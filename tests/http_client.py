"""An in-process HTTP client for the app (ASGI, no network) with sign-in and CSRF helpers."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from backend.accounts import services as accounts
from backend.db import get_db
from backend.web.auth import SESSION_COOKIE


class Client(httpx.AsyncClient):
    def __init__(self, app: Any, *, ip: str = "127.0.0.1", **kwargs: Any) -> None:
        super().__init__(transport=httpx.ASGITransport(app=app, client=(ip, 5000)),
                         base_url="http://testserver", follow_redirects=False,
                         headers={"Accept-Language": "en"}, **kwargs)

    async def sign_in(self, *, realm: str, subject_id: uuid.UUID) -> None:
        """Start a real server-side session for a persona and keep its cookie."""
        token = await accounts.create_session(get_db(), realm=realm, subject_id=subject_id)
        self.cookies.set(SESSION_COOKIE, token, domain="testserver.local")

    async def csrf_token(self) -> str:
        token = self.cookies.get("csrftoken")
        if not token:
            await self.get("/")
            token = self.cookies.get("csrftoken")
        assert token, "the app did not set a CSRF cookie"
        return token

    async def post_form(self, url: str, data: dict[str, Any] | None = None,
                        **kwargs: Any) -> httpx.Response:
        """POST a form with the CSRF token in the field, as a browser without JS does."""
        payload = dict(data or {})
        payload["_csrf_token"] = await self.csrf_token()
        return await self.post(url, data=payload, **kwargs)

    async def hx_post(self, url: str, data: dict[str, Any] | None = None,
                      **kwargs: Any) -> httpx.Response:
        """POST as htmx does: token in the header."""
        headers = {"HX-Request": "true", "x-csrftoken": await self.csrf_token()}
        headers.update(kwargs.pop("headers", {}))
        return await self.post(url, data=data or {}, headers=headers, **kwargs)
