"""The outside channels a notification can take: web push, e-mail (SMTP) and SMS.

Each channel answers with a :class:`SendResult` instead of raising, so the dispatcher decides
(sent, retry later, or fall back to the next channel the person allowed). SMS goes through a
provider port: the demo prints to the console; ``HttpSmsProvider`` posts JSON to a gateway
configured with ``HOMELOOP_SMS_URL`` (and ``HOMELOOP_SMS_TOKEN``), with ``httpx``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

from backend.config import Settings, env, get_settings
from backend.notifications.push import PushSender
from backend.notifications.vapid import VapidSigner, load_or_create

log = logging.getLogger("homeloop.notify")


@dataclass(frozen=True)
class SendResult:
    ok: bool
    retry: bool = False  # a temporary failure: try the same channel again later
    retry_after: float | None = None
    error: str = ""


class SmsProvider(Protocol):
    async def send(self, *, to: str, text: str, key: str) -> SendResult: ...


class ConsoleSms:
    """The demo's SMS provider: the text goes to the server console."""

    async def send(self, *, to: str, text: str, key: str) -> SendResult:
        print(f"[homeloop] SMS to {to}: {text}", flush=True)
        return SendResult(ok=True)


class HttpSmsProvider:
    """A generic HTTP SMS gateway: POST {to, text, idempotency_key} with a bearer token."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url
        self.token = token

    async def send(self, *, to: str, text: str, key: str) -> SendResult:
        import httpx

        headers = {"Idempotency-Key": key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                resp = await client.post(self.url, json={"to": to, "text": text,
                                                         "idempotency_key": key},
                                         headers=headers)
        except httpx.HTTPError as exc:
            return SendResult(ok=False, retry=True, error=f"network: {exc!r}"[:300])
        if resp.status_code < 300:
            return SendResult(ok=True)
        retry = resp.status_code == 429 or resp.status_code >= 500
        return SendResult(ok=False, retry=retry, error=f"HTTP {resp.status_code}")


class EmailChannel:
    """Sends one plain-text e-mail per notification over SMTP (``aiosmtplib``)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def available(self) -> bool:
        return bool(self.settings.smtp_host)

    async def send(self, *, to: str, subject: str, text: str, key: str) -> SendResult:
        import aiosmtplib

        message = EmailMessage()
        message["From"] = self.settings.smtp_from
        message["To"] = to
        message["Subject"] = subject
        # The idempotency key in the Message-ID: a resend after a crash is the same message.
        message["Message-ID"] = make_msgid(idstring=key.replace(":", "."), domain="homeloop")
        message["X-HomeLoop-Key"] = key
        message.set_content(text)
        try:
            await aiosmtplib.send(
                message, hostname=self.settings.smtp_host, port=self.settings.smtp_port,
                username=self.settings.smtp_user, password=self.settings.smtp_password,
                start_tls=self.settings.smtp_tls, timeout=15)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            return SendResult(ok=False, error=f"refused: {exc}"[:300])
        except (aiosmtplib.SMTPException, OSError) as exc:
            return SendResult(ok=False, retry=True, error=f"smtp: {exc!r}"[:300])
        return SendResult(ok=True)


class Channels:
    """The process's senders, built once: one pooled push session, SMTP and SMS."""

    def __init__(self, settings: Settings | None = None, *, allow_http_push: bool = False,
                 sms: SmsProvider | None = None) -> None:
        self.settings = settings or get_settings()
        self.email = EmailChannel(self.settings)
        self.sms: SmsProvider = sms or make_sms_provider()
        self.allow_http_push = allow_http_push
        self._push: PushSender | None = None

    @property
    def push(self) -> PushSender:
        if self._push is None:
            keys = load_or_create(self.settings.data_dir)
            subject = env("HOMELOOP_VAPID_SUBJECT") or "mailto:admin@homeloop.cn"
            self._push = PushSender(VapidSigner(keys, subject=subject),
                                    allow_http=self.allow_http_push)
        return self._push

    async def close(self) -> None:
        if self._push is not None:
            await self._push.close()
            self._push = None


def make_sms_provider() -> SmsProvider:
    url = env("HOMELOOP_SMS_URL")
    if url:
        return HttpSmsProvider(url, env("HOMELOOP_SMS_TOKEN"))
    return ConsoleSms()


def vapid_public_key() -> str:
    """The key the browser needs for ``pushManager.subscribe`` (applicationServerKey)."""
    return load_or_create(get_settings().data_dir).public_key_b64


def service_worker_source(*, renew_url: str) -> str:
    """The portal service worker: the shared push handlers, imported from /static.

    ``renew_url`` is where ``pushsubscriptionchange`` reports the replacement subscription;
    each surface's worker names its own (the shared handlers hardcode no surface).
    """
    return (f"self.HL_PUSH_RENEW_URL = {json.dumps(renew_url)};\n"
            "importScripts('/static/js/push-sw.js');\n")

