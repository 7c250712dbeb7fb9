"""A real SMTP server (aiosmtpd) on loopback for tests: start it, read what arrived."""

from __future__ import annotations

import contextlib
import email
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any


@dataclass
class SmtpPeer:
    port: int
    raw: list[bytes] = field(default_factory=list)

    @property
    def messages(self) -> list[Message]:
        return [email.message_from_bytes(data) for data in self.raw]


@contextlib.contextmanager
def smtp_peer() -> Iterator[SmtpPeer]:
    """An SMTP server bound to 127.0.0.1 on a free port for the duration of the block."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    peer = SmtpPeer(port)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            peer.raw.append(envelope.content)
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield peer
    finally:
        controller.stop()
