"""How a sign-in code reaches a homeowner: console (demo), e-mail over SMTP, or SMS.

A port with small adapters, so the demo prints codes and production sends them; tests use the
real SMTP adapter against a loopback aiosmtpd server.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from typing import Protocol

from backend.config import Settings
from backend.i18n import N_, gettext

log = logging.getLogger("homeloop.codes")

SUBJECT = N_("Your HomeLoop sign-in code")
BODY = N_("Your HomeLoop sign-in code is {code}. It is valid for 10 minutes. If you did not "
          "ask for it, ignore this message.")


class CodeSender(Protocol):
    async def send(self, *, channel: str, target: str, code: str, locale: str) -> None: ...


class ConsoleSender:
    """The demo's sender: prints the code where the person running the server can see it."""

    async def send(self, *, channel: str, target: str, code: str, locale: str) -> None:
        message = gettext(BODY, locale).format(code=code)
        print(f"[homeloop] sign-in code for {target}: {code}  ({message})", flush=True)
        log.info("sign-in code issued for %s via console", target)


class SmtpSender:
    """Sends codes to e-mail targets over SMTP; phone targets go to ``sms_fallback``."""

    def __init__(self, settings: Settings, sms_fallback: CodeSender | None = None) -> None:
        self.settings = settings
        self.sms_fallback = sms_fallback or ConsoleSender()

    async def send(self, *, channel: str, target: str, code: str, locale: str) -> None:
        if channel != "email":
            await self.sms_fallback.send(channel=channel, target=target, code=code,
                                         locale=locale)
            return
        import aiosmtplib

        message = EmailMessage()
        message["From"] = self.settings.smtp_from
        message["To"] = target
        message["Subject"] = gettext(SUBJECT, locale)
        message.set_content(gettext(BODY, locale).format(code=code))
        await aiosmtplib.send(
            message,
            hostname=self.settings.smtp_host,
            port=self.settings.smtp_port,
            username=self.settings.smtp_user,
            password=self.settings.smtp_password,
            start_tls=self.settings.smtp_tls,
            timeout=15,
        )


def make_sender(settings: Settings) -> CodeSender:
    if settings.smtp_host:
        return SmtpSender(settings)
    return ConsoleSender()


_sender: CodeSender | None = None


def get_sender() -> CodeSender:
    """The process's code sender, made from the settings on first use."""
    global _sender
    if _sender is None:
        from backend.config import get_settings

        _sender = make_sender(get_settings())
    return _sender


def set_sender(sender: CodeSender | None) -> None:
    """Swap the sender (tests record codes; the CLI may print them)."""
    global _sender
    _sender = sender
