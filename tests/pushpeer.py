"""A real, local web push service for tests and benchmarks.

It does what a push service does to a request from HomeLoop, strictly: it checks the VAPID
JWT (ES256 signature against the ``k=`` key, ``aud`` equal to its own origin, ``exp`` in the
future and at most 24 h ahead, a ``sub`` that is not localhost), the ``TTL``, ``Urgency`` and
``Topic`` headers, and decrypts the aes128gcm body with ``http_ece`` using the subscriber keys
it minted in :meth:`PushPeer.new_subscription`. A failed check answers 400/401 like a real
service and is also appended to :attr:`PushPeer.errors`, so a test can simply assert that
list is empty. Replies can be scripted per subscription (404, 410, 429 with ``Retry-After``,
500, 400 ...); unscripted requests get 201.

For benchmarks, ``decrypt_every=100`` decrypts only every 100th body and each distinct VAPID
header is verified once and then cached (as a real push service may), so the peer is not the
bottleneck while still proving a sample end to end.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import http_ece
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from backend.notifications.push import Subscription

_URGENCIES = {"very-low", "low", "normal", "high"}
_TOPIC_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_AUTH_RE = re.compile(r"vapid\s+t=([^,\s]+)\s*,\s*k=([A-Za-z0-9_-]+)\s*$")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class Reply:
    """A scripted answer: status, optional ``Retry-After`` value, optional body."""

    status: int
    retry_after: str | None = None
    body: str = ""


@dataclass
class Received:
    """One request the peer accepted as well-formed (whatever it then answered)."""

    endpoint: str
    status: int
    ttl: int
    urgency: str | None
    topic: str | None
    claims: dict[str, Any]
    authorization: str
    payload: Any = None  # the decrypted JSON, or None when decryption was skipped


@dataclass
class _Subscriber:
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    replies: deque[Reply] = field(default_factory=deque)


class VerificationError(Exception):
    """A request a real push service would refuse; carries the status it would answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class PushPeer:
    """An aiohttp push service on 127.0.0.1; use ``async with PushPeer() as peer``."""

    def __init__(self, *, decrypt_every: int = 1, host: str = "127.0.0.1", port: int = 0,
                 now: Any = None):
        self.decrypt_every = decrypt_every
        self._now = now or time.time  # tests on a movable clock pass the app's clock
        self.received: list[Received] = []
        self.errors: list[str] = []
        self.signatures_verified = 0
        self.decrypted = 0
        self.connections: set[object] = set()  # client (host, port) pairs: pooling shows here
        self._host, self._port = host, port
        self._subscribers: dict[str, _Subscriber] = {}
        self._verified: dict[str, dict[str, Any]] = {}
        self._runner: web.AppRunner | None = None
        self.origin = ""

    async def start(self) -> None:
        app = web.Application(client_max_size=8192)
        app.router.add_post("/push/{token}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port, backlog=1024)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.origin = f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> PushPeer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def new_subscription(self, *replies: Reply | int) -> Subscription:
        """Mint a subscription with its own P-256 key and auth secret, like a browser does."""
        key = ec.generate_private_key(ec.SECP256R1())
        auth = secrets.token_bytes(16)
        token = secrets.token_urlsafe(12)
        self._subscribers[token] = _Subscriber(key, auth)
        point = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        sub = Subscription(f"{self.origin}/push/{token}", _b64e(point), _b64e(auth))
        self.script(sub, *replies)
        return sub

    def script(self, sub: Subscription, *replies: Reply | int) -> None:
        """Queue answers for the next requests to ``sub``; afterwards it answers 201."""
        queue = self._subscribers[sub.endpoint.rsplit("/", 1)[1]].replies
        queue.extend(r if isinstance(r, Reply) else Reply(r) for r in replies)

    def received_for(self, sub: Subscription) -> list[Received]:
        return [r for r in self.received if r.endpoint == sub.endpoint]

    def stats(self) -> dict[str, int]:
        return {
            "received": len(self.received),
            "distinct_endpoints": len({r.endpoint for r in self.received}),
            "decrypted": self.decrypted,
            "connections": len(self.connections),
            "signatures_verified": self.signatures_verified,
            "errors": len(self.errors),
        }

    async def _handle(self, request: web.Request) -> web.Response:
        subscriber = self._subscribers.get(request.match_info["token"])
        if subscriber is None:
            return web.Response(status=404, text="no such subscription")
        self.connections.add(request.transport and request.transport.get_extra_info("peername"))
        body = await request.read()
        endpoint = f"{self.origin}{request.path}"
        try:
            authorization = request.headers.get("Authorization", "")
            claims = self._verify_vapid(authorization)
            ttl, urgency, topic = self._check_headers(request)
            payload = None
            if self.decrypt_every and len(self.received) % self.decrypt_every == 0:
                payload = self._decrypt(body, subscriber)
        except VerificationError as exc:
            self.errors.append(f"{endpoint}: {exc}")
            return web.Response(status=exc.status, text=str(exc))
        reply = subscriber.replies.popleft() if subscriber.replies else Reply(201)
        self.received.append(
            Received(endpoint, reply.status, ttl, urgency, topic, claims, authorization, payload)
        )
        headers = {"Retry-After": reply.retry_after} if reply.retry_after else {}
        return web.Response(status=reply.status, text=reply.body, headers=headers)

    def _verify_vapid(self, authorization: str) -> dict[str, Any]:
        claims = self._verified.get(authorization)
        if claims is None:
            claims = self._verify_jwt(authorization)
            self._verified[authorization] = claims
        now = self._now()
        if not now < claims["exp"] <= now + 24 * 3600:
            raise VerificationError(403, f"exp {claims['exp']} not within 24 h from now")
        return claims

    def _verify_jwt(self, authorization: str) -> dict[str, Any]:
        match = _AUTH_RE.fullmatch(authorization.strip())
        if match is None:
            raise VerificationError(401, f"not a vapid Authorization header: {authorization!r}")
        token, k = match.groups()
        try:
            header_b64, claims_b64, signature_b64 = token.split(".")
            header = json.loads(_b64d(header_b64))
            claims = json.loads(_b64d(claims_b64))
            signature = _b64d(signature_b64)
            public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _b64d(k))
        except ValueError as exc:
            raise VerificationError(401, f"malformed VAPID token: {exc}") from exc
        if header.get("alg") != "ES256" or len(signature) != 64:
            raise VerificationError(401, f"VAPID token is not ES256: {header}")
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        try:
            public_key.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as exc:
            raise VerificationError(401, "VAPID signature does not match k=") from exc
        self.signatures_verified += 1
        if claims.get("aud") != self.origin:
            raise VerificationError(403, f"aud {claims.get('aud')!r} is not {self.origin!r}")
        if not isinstance(claims.get("exp"), int):
            raise VerificationError(403, "exp missing")
        sub = str(claims.get("sub", ""))
        if not sub.startswith(("mailto:", "https://")) or "localhost" in sub:
            raise VerificationError(403, f"BadJwtToken: sub {sub!r}")
        return claims

    @staticmethod
    def _check_headers(request: web.Request) -> tuple[int, str | None, str | None]:
        ttl_text = request.headers.get("TTL", "")
        if not ttl_text.isdigit():
            raise VerificationError(400, f"TTL header missing or invalid: {ttl_text!r}")
        if int(ttl_text) == 0:
            raise VerificationError(400, "TTL 0: an offline device would drop this message")
        urgency = request.headers.get("Urgency")
        if urgency is not None and urgency not in _URGENCIES:
            raise VerificationError(400, f"invalid Urgency {urgency!r}")
        topic = request.headers.get("Topic")
        if topic is not None and not _TOPIC_RE.fullmatch(topic):
            raise VerificationError(400, f"invalid Topic {topic!r}")
        if request.headers.get("Content-Encoding") != "aes128gcm":
            raise VerificationError(415, "Content-Encoding must be aes128gcm")
        return int(ttl_text), urgency, topic

    def _decrypt(self, body: bytes, subscriber: _Subscriber) -> Any:
        try:
            plain = http_ece.decrypt(
                body,
                private_key=subscriber.private_key,
                auth_secret=subscriber.auth,
                version="aes128gcm",
            )
            payload = json.loads(plain)
        except (http_ece.ECEException, ValueError) as exc:
            raise VerificationError(400, f"body does not decrypt to JSON: {exc!r}") from exc
        self.decrypted += 1
        return payload
