"""Web push: encrypt a message for one browser subscription and hand it to its push service.

Library choice. ``webpush`` (a production dependency) and ``pywebpush`` (dev only) were both
read and measured; neither is on this path. ``webpush.WebPush.get`` signs a new JWT for every
message (358 µs per message against 153 µs for the encryption alone), builds its ``aud`` from
the host without the port (wrong for any endpoint on a non-default port), keeps ``ttl`` and
``subscriber`` as instance state that each call may overwrite, and defaults ``ttl`` to 0.
``pywebpush`` sends synchronously through ``requests`` (PITFALLS: 643 msg/s), also signs per
call and also defaults ``ttl`` to 0. What both do underneath is the RFC 8291 encryption, so this
module calls ``http_ece`` (the web-push-libs reference implementation, which ``pywebpush``
itself uses) and signs VAPID itself (:mod:`.vapid`), once per push-service origin. Sending
goes through one pooled ``aiohttp`` session: keep-alive connections and a reused VAPID header
take a fan-out from hundreds to thousands of messages a second (PITFALLS measured
``httpx.AsyncClient`` ten times slower than ``aiohttp`` for the same work).

Encryption (an ECDH key agreement, 150-280 µs on the 2-core test machine) stays in the event
loop: each send awaits its HTTP request right after encrypting, which yields, and a thread
pool measured no faster because ``cryptography`` holds the GIL for it. A 10,000-recipient
fan-out therefore keeps one core busy for a few seconds: run it in the worker process, not in
the web process where it would delay page requests (``bench/bench_push.py`` has the figures).

Outcomes follow RFC 8030 and Mastodon's worker: 404/410 mean the subscription is gone; 429 and
5xx are retried honouring ``Retry-After``; any other 4xx rejects the message.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import json
import random
import re
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import aiohttp
import http_ece
from cryptography.hazmat.primitives.asymmetric import ec

from backend import clock
from backend.notifications.vapid import VapidSigner, b64url_decode, b64url_encode

Urgency = Literal["very-low", "low", "normal", "high"]
URGENCIES: frozenset[str] = frozenset(("very-low", "low", "normal", "high"))
MAX_TTL = 28 * 24 * 3600  # the longest push services keep a message (FCM: 4 weeks)
# Push services must accept 4096-byte bodies; aes128gcm adds an 86-byte header, a 16-byte
# tag and a 1-byte delimiter, which leaves this much for the JSON.
MAX_PAYLOAD_BYTES = 4096 - 86 - 16 - 1
_TOPIC_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")


@dataclass(frozen=True)
class PushMessage:
    """One notification. ``ttl`` has no default on purpose: a TTL of 0 makes a phone that is
    asleep or offline drop the message silently, so callers must say how long it stays useful.
    ``topic`` lets the push service replace an undelivered older message on the same topic."""

    payload: dict[str, Any]
    ttl: int
    urgency: Urgency = "normal"
    topic: str | None = None
    body: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 < self.ttl <= MAX_TTL:
            raise ValueError(f"ttl must be between 1 and {MAX_TTL} seconds, got {self.ttl}")
        if self.urgency not in URGENCIES:
            raise ValueError(f"urgency must be one of {sorted(URGENCIES)}")
        if self.topic is not None and not _TOPIC_RE.fullmatch(self.topic):
            raise ValueError("topic must be 1-32 characters of the base64url alphabet")
        body = json.dumps(self.payload, separators=(",", ":"), ensure_ascii=False).encode()
        if len(body) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"payload is {len(body)} bytes; push allows {MAX_PAYLOAD_BYTES}")
        object.__setattr__(self, "body", body)  # serialised once, however many recipients

    @staticmethod
    def topic_for(key: str) -> str:
        """A valid topic for any key such as ``"work-order:42:status"`` (32 chars, base64url)."""
        return b64url_encode(hashlib.sha256(key.encode()).digest()[:24])


@dataclass(frozen=True)
class Subscription:
    """A browser's ``PushSubscription``: the endpoint URL and its two base64url keys."""

    endpoint: str
    p256dh: str
    auth: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Subscription:
        """Build from ``PushSubscription.toJSON()``: ``{endpoint, keys: {p256dh, auth}}``."""
        return cls(data["endpoint"], data["keys"]["p256dh"], data["keys"]["auth"])

    def to_json(self) -> dict[str, Any]:
        """The same shape the browser produced, for storage or for ``pywebpush``."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


def encrypt(payload: bytes, sub: Subscription) -> bytes:
    """Encrypt ``payload`` for ``sub`` (RFC 8291, aes128gcm) with a fresh ephemeral key."""
    return http_ece.encrypt(
        payload,
        private_key=ec.generate_private_key(ec.SECP256R1()),
        dh=b64url_decode(sub.p256dh),
        auth_secret=b64url_decode(sub.auth),
        version="aes128gcm",
    )


class Outcome(enum.StrEnum):
    """What the caller should do with the subscription after a send."""

    DELIVERED = "delivered"  # accepted by the push service
    GONE = "gone"  # 404/410: delete the subscription
    RETRY = "retry"  # 429/5xx/network: send again after next_retry_delay()
    REJECTED = "rejected"  # other 4xx: delete the subscription and log `reason`


@dataclass(frozen=True, slots=True)
class PushResult:
    """The outcome of one send, with what is needed to act on it."""

    subscription: Subscription
    outcome: Outcome
    status: int | None = None
    retry_after: float | None = None
    reason: str | None = None

    @property
    def sender_fault(self) -> bool:
        """True for 401/403/413: our VAPID key or payload is wrong, not the subscription.
        A burst of these from one push service means fix the config before deleting anything."""
        return self.status in (401, 403, 413)


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds from either form the header allows (delta or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - clock.now()).total_seconds())


def next_retry_delay(
    attempt: int, retry_after: float | None, *, base: float = 2.0, cap: float = 3600.0
) -> float:
    """Seconds to wait before retry number ``attempt`` (0 for the first retry).

    Exponential backoff with jitter so that thousands of messages failed by one outage do not
    come back at the same instant; never earlier than ``Retry-After``; never longer than
    ``cap`` (an hour by default) so a broken header cannot park a message for days.
    """
    ceiling = min(cap, base * 2 ** min(attempt, 32))
    delay = ceiling / 2 + random.random() * ceiling / 2
    if retry_after is not None:
        delay = max(delay, retry_after + random.random() * min(retry_after * 0.1, 30.0))
    return min(delay, cap)


def _classify(
    sub: Subscription, status: int, headers: Mapping[str, str], body: bytes
) -> PushResult:
    if 200 <= status < 300:
        return PushResult(sub, Outcome.DELIVERED, status)
    reason = f"{status} {body[:200].decode('utf-8', 'replace')}".strip()
    if status in (404, 410):
        return PushResult(sub, Outcome.GONE, status, reason=reason)
    if status in (408, 429) or status >= 500:
        retry_after = parse_retry_after(headers.get("Retry-After"))
        return PushResult(sub, Outcome.RETRY, status, retry_after, reason)
    return PushResult(sub, Outcome.REJECTED, status, reason=reason)


Items = Iterable[tuple[Subscription, PushMessage]] | AsyncIterable[tuple[Subscription, PushMessage]]
OnResult = Callable[[PushResult], Awaitable[None] | None]


class PushSender:
    """Sends push messages over one pooled ``aiohttp`` session; create one per process.

    ``allow_http`` exists for tests and the local push peer: real push services are https,
    and refusing anything else keeps a stored endpoint from being used to probe plain-HTTP
    services on the internal network.
    """

    def __init__(
        self,
        signer: VapidSigner,
        *,
        limit_per_host: int = 64,
        timeout: float = 15.0,
        allow_http: bool = False,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.signer = signer
        self.allow_http = allow_http
        self._limit_per_host = limit_per_host
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=min(timeout, 5.0))
        self._session = session
        self._owns_session = session is None

    def _get_session(self) -> aiohttp.ClientSession:
        # Created lazily so a sender can be built before the event loop runs.
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=0, limit_per_host=self._limit_per_host, keepalive_timeout=60
            )
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
            self._owns_session = True
        return self._session

    async def send(self, sub: Subscription, msg: PushMessage) -> PushResult:
        """Encrypt and POST one message; never raises for push-service or network failures."""
        if not sub.endpoint.startswith("https://") and not (
            self.allow_http and sub.endpoint.startswith("http://")
        ):
            return PushResult(sub, Outcome.REJECTED, reason="endpoint must be an https URL")
        try:
            body = encrypt(msg.body, sub)
            authorization = self.signer.header(sub.endpoint)
        except (ValueError, TypeError, http_ece.ECEException) as exc:  # bad keys from a browser
            return PushResult(sub, Outcome.REJECTED, reason=f"invalid subscription: {exc}")
        headers = {
            "Authorization": authorization,
            "TTL": str(msg.ttl),
            "Urgency": msg.urgency,
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
        }
        if msg.topic:
            headers["Topic"] = msg.topic
        try:
            # No redirects: a stored endpoint must not steer requests anywhere else.
            async with self._get_session().post(
                sub.endpoint, data=body, headers=headers, allow_redirects=False
            ) as resp:
                # Reading the (normally empty) body to its end returns the connection to the
                # pool; reading at most 1 KiB keeps a hostile endpoint from filling memory.
                content = await resp.content.read(1024)
                return _classify(sub, resp.status, resp.headers, content)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return PushResult(sub, Outcome.RETRY, reason=f"network: {exc!r}"[:300])

    async def send_many(
        self, items: Items, *, concurrency: int = 64, on_result: OnResult | None = None
    ) -> list[PushResult]:
        """Send every ``(subscription, message)`` with at most ``concurrency`` in flight.

        ``concurrency`` workers pull from ``items`` (a plain or async iterable, so subscriptions
        can stream from the database), so memory holds ``concurrency`` encrypted bodies, not
        one per recipient. With ``on_result`` each result goes to the callback as it completes
        and an empty list is returned; without it, results come back in input order. Nothing
        is retried here: the caller reschedules RETRY results with :func:`next_retry_delay`.
        """
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        iterator = aiter(items) if isinstance(items, AsyncIterable) else iter(items)
        lock = asyncio.Lock()
        ordered: list[PushResult | None] = []

        async def next_item() -> tuple[int, tuple[Subscription, PushMessage]] | None:
            if isinstance(iterator, Iterable):  # a plain iterator: no await, no race
                item = next(iterator, None)
            else:
                async with lock:  # an async generator must not be resumed concurrently
                    item = await anext(iterator, None)
            if item is None:
                return None
            if on_result is not None:
                return 0, item
            ordered.append(None)
            return len(ordered) - 1, item

        async def worker() -> None:
            while (pulled := await next_item()) is not None:
                index, (sub, msg) = pulled
                result = await self.send(sub, msg)
                if on_result is None:
                    ordered[index] = result
                elif (pending := on_result(result)) is not None:
                    await pending

        async with asyncio.TaskGroup() as group:
            for _ in range(concurrency):
                group.create_task(worker())
        return [result for result in ordered if result is not None]

    async def close(self) -> None:
        """Close the pooled session if this sender created it."""
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None

    async def __aenter__(self) -> PushSender:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
