"""Web push against a real local push service: encryption, VAPID, headers and outcomes."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

# `tests` is not an installed package and the plain `pytest` entry point does not put the repo
# root on sys.path (no root conftest or `pythonpath` setting); add it for `tests.pushpeer`.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import http_ece  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from backend import clock  # noqa: E402
from backend.notifications import vapid  # noqa: E402
from backend.notifications.push import (  # noqa: E402
    MAX_PAYLOAD_BYTES,
    Outcome,
    PushMessage,
    PushResult,
    PushSender,
    Subscription,
    encrypt,
    next_retry_delay,
    parse_retry_after,
)
from backend.notifications.vapid import VapidKeys, VapidSigner, load_or_create  # noqa: E402
from tests.pushpeer import PushPeer, Reply  # noqa: E402

pytestmark = pytest.mark.unit

SUBJECT = "mailto:ops@homeloop.example"
VISIT = {"title": "Visite demain à 8 h", "body": "Ανακαίνιση 🛠", "url": "/p/42"}


@pytest.fixture(scope="module")
async def peer() -> AsyncIterator[PushPeer]:
    async with PushPeer() as running:
        yield running


@pytest.fixture
def signer() -> VapidSigner:
    return VapidSigner(VapidKeys.generate(), subject=SUBJECT)


@pytest.fixture
async def sender(signer: VapidSigner) -> AsyncIterator[PushSender]:
    async with PushSender(signer, allow_http=True) as running:
        yield running


def message(**overrides: object) -> PushMessage:
    fields: dict[str, object] = {"payload": VISIT, "ttl": 3600, "urgency": "high"}
    fields.update(overrides)
    return PushMessage(**fields)  # type: ignore[arg-type]


# --- what goes on the wire ------------------------------------------------------------------


async def test_payload_decrypts_to_the_original_json(peer: PushPeer, sender: PushSender) -> None:
    sub = peer.new_subscription()
    result = await sender.send(sub, message())
    assert result.outcome is Outcome.DELIVERED
    assert result.status == 201
    [received] = peer.received_for(sub)
    assert received.payload == VISIT
    assert peer.errors == []


async def test_vapid_ttl_urgency_and_topic_are_sent(peer: PushPeer, sender: PushSender) -> None:
    sub = peer.new_subscription()
    topic = PushMessage.topic_for("work-order:42:status")
    await sender.send(sub, message(ttl=900, urgency="low", topic=topic))
    [received] = peer.received_for(sub)
    assert (received.ttl, received.urgency, received.topic) == (900, "low", topic)
    assert received.claims["aud"] == peer.origin
    assert received.claims["sub"] == SUBJECT
    ahead = received.claims["exp"] - clock.now().timestamp()
    assert 11.9 * 3600 < ahead <= 12 * 3600
    assert received.authorization.endswith(f"k={sender.signer.keys.public_key_b64}")
    assert peer.errors == []


async def test_vapid_header_is_signed_once_per_origin(signer: VapidSigner) -> None:
    async with PushPeer() as one, PushPeer() as two, PushSender(signer, allow_http=True) as s:
        subs = [one.new_subscription() for _ in range(5)] + [two.new_subscription()]
        results = await s.send_many((sub, message()) for sub in subs)
        assert {r.outcome for r in results} == {Outcome.DELIVERED}
        assert signer.signatures == 2
        assert len({r.authorization for r in one.received}) == 1
        assert one.errors == two.errors == []


async def test_one_connection_is_kept_alive_for_sequential_sends(signer: VapidSigner) -> None:
    async with PushPeer() as fresh, PushSender(signer, allow_http=True) as s:
        for sub in [fresh.new_subscription() for _ in range(20)]:
            assert (await s.send(sub, message())).outcome is Outcome.DELIVERED
        assert len(fresh.connections) == 1


def test_vapid_header_is_renewed_an_hour_before_expiry(signer: VapidSigner) -> None:
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    endpoint = "https://fcm.googleapis.com/fcm/send/abc"
    with clock.frozen(start):
        first = signer.header(endpoint)
    with clock.frozen(start + timedelta(hours=10, minutes=59)):
        assert signer.header(endpoint) == first
    with clock.frozen(start + timedelta(hours=11, minutes=1)):
        assert signer.header(endpoint) != first
    assert signer.signatures == 2


@pytest.mark.parametrize(
    ("endpoint", "origin"),
    [
        ("https://web.push.apple.com/QGx/abc", "https://web.push.apple.com"),
        ("https://Push.Example.com:443/x", "https://push.example.com"),
        ("https://push.example.com:8443/x", "https://push.example.com:8443"),
        ("http://127.0.0.1:5000/push/x", "http://127.0.0.1:5000"),
    ],
)
def test_audience_is_the_endpoint_origin_with_its_port(endpoint: str, origin: str) -> None:
    assert vapid.origin_of(endpoint) == origin


@pytest.mark.parametrize(
    "subject", ["mailto:ops@localhost", "https://localhost/contact", "ops@homeloop.example"]
)
def test_subjects_push_services_reject_are_refused(subject: str) -> None:
    with pytest.raises(ValueError, match="subject"):
        VapidSigner(VapidKeys.generate(), subject=subject)


def test_token_lifetime_over_24_hours_is_refused() -> None:
    with pytest.raises(ValueError, match="24 hours"):
        VapidSigner(VapidKeys.generate(), subject=SUBJECT, lifetime=25 * 3600)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=MAX_PAYLOAD_BYTES))
def test_encrypt_round_trips_any_payload(payload: bytes) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    auth = os.urandom(16)
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    sub = Subscription(
        "https://push.example/x", vapid.b64url_encode(point), vapid.b64url_encode(auth)
    )
    body = encrypt(payload, sub)
    assert len(body) <= 4096
    assert http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm") == payload


# --- messages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"ttl": 0},
        {"ttl": -5},
        {"urgency": "urgent"},
        {"topic": "has spaces"},
        {"topic": "x" * 33},
        {"payload": {"body": "x" * MAX_PAYLOAD_BYTES}},
    ],
)
def test_invalid_messages_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"ttl|urgency|topic|payload"):
        message(**bad)


def test_topic_for_derives_a_valid_stable_topic() -> None:
    topic = PushMessage.topic_for("work-order:42:status")
    assert topic == PushMessage.topic_for("work-order:42:status") != PushMessage.topic_for("x")
    assert message(topic=topic).topic == topic
    assert len(topic) == 32


# --- outcomes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "outcome", "retry_after"),
    [
        (Reply(404), Outcome.GONE, None),
        (Reply(410, body="expired"), Outcome.GONE, None),
        (Reply(429, retry_after="120"), Outcome.RETRY, 120.0),
        (Reply(500), Outcome.RETRY, None),
        (Reply(503, retry_after="7"), Outcome.RETRY, 7.0),
        (Reply(400, body="BadRequest: payload"), Outcome.REJECTED, None),
        (Reply(403, body="BadJwtToken"), Outcome.REJECTED, None),
        (Reply(202), Outcome.DELIVERED, None),
    ],
)
async def test_push_service_answers_map_to_outcomes(
    peer: PushPeer, sender: PushSender, reply: Reply, outcome: Outcome, retry_after: float | None
) -> None:
    sub = peer.new_subscription(reply)
    result = await sender.send(sub, message())
    assert (result.outcome, result.status, result.retry_after) == (
        outcome,
        reply.status,
        retry_after,
    )
    if outcome is Outcome.REJECTED:
        assert result.reason == f"{reply.status} {reply.body}"
    assert result.sender_fault == (reply.status == 403)
    assert peer.errors == []


async def test_retry_after_as_an_http_date(peer: PushPeer, sender: PushSender) -> None:
    later = format_datetime(clock.now() + timedelta(seconds=90), usegmt=True)
    result = await sender.send(peer.new_subscription(Reply(429, retry_after=later)), message())
    assert result.outcome is Outcome.RETRY
    assert result.retry_after is not None
    assert 85 <= result.retry_after <= 90


async def test_network_error_is_retried(sender: PushSender) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    key = VapidKeys.generate().public_key_b64
    sub = Subscription(f"http://127.0.0.1:{port}/push/x", key, vapid.b64url_encode(b"a" * 16))
    result = await sender.send(sub, message())
    assert result.outcome is Outcome.RETRY
    assert result.status is None
    assert result.reason
    assert result.reason.startswith("network")


async def test_broken_keys_and_plain_http_are_rejected_without_a_request(
    peer: PushPeer, signer: VapidSigner
) -> None:
    good = peer.new_subscription()
    broken = Subscription(good.endpoint, "bm90LWEta2V5", good.auth)
    before = len(peer.received)
    async with PushSender(signer) as strict, PushSender(signer, allow_http=True) as lax:
        assert (await strict.send(good, message())).outcome is Outcome.REJECTED
        assert (await lax.send(broken, message())).outcome is Outcome.REJECTED
    assert len(peer.received) == before


def test_retry_delay_grows_honours_retry_after_and_is_capped() -> None:
    firsts = [next_retry_delay(0, None) for _ in range(200)]
    assert all(1.0 <= d <= 2.0 for d in firsts)
    assert all(16.0 <= next_retry_delay(4, None) <= 32.0 for _ in range(200))
    assert all(120 <= next_retry_delay(0, 120.0) <= 132 for _ in range(200))
    assert next_retry_delay(50, None) <= 3600
    assert next_retry_delay(0, 10 * 86400) == 3600


def test_parse_retry_after_forms() -> None:
    with clock.frozen(datetime(2026, 3, 1, 9, 0, tzinfo=UTC)):
        assert parse_retry_after("Sun, 01 Mar 2026 09:02:00 GMT") == 120.0
        assert parse_retry_after("Sun, 01 Mar 2026 08:00:00 GMT") == 0.0
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


# --- fan-out -------------------------------------------------------------------------------


async def test_send_many_delivers_each_of_200_exactly_once(
    peer: PushPeer, sender: PushSender
) -> None:
    subs = [peer.new_subscription() for _ in range(200)]
    msg = message(topic=PushMessage.topic_for("project:7:update"))
    results = await sender.send_many(((sub, msg) for sub in subs), concurrency=16)
    assert [r.subscription for r in results] == subs
    assert {r.outcome for r in results} == {Outcome.DELIVERED}
    for sub in subs:
        [received] = peer.received_for(sub)
        assert received.payload == VISIT
    assert sender.signer.signatures == 1
    assert peer.errors == []


async def test_send_many_streams_with_bounded_work_in_flight(
    peer: PushPeer, sender: PushSender
) -> None:
    subs = [peer.new_subscription() for _ in range(60)] + [peer.new_subscription(Reply(410))]
    pulled = done = widest = 0
    seen: list[PushResult] = []

    async def stream() -> AsyncIterator[tuple[Subscription, PushMessage]]:
        nonlocal pulled, widest
        for sub in subs:
            await asyncio.sleep(0)
            pulled += 1
            widest = max(widest, pulled - done)
            yield sub, message()

    async def record(result: PushResult) -> None:
        nonlocal done
        done += 1
        seen.append(result)

    assert await sender.send_many(stream(), concurrency=8, on_result=record) == []
    assert widest <= 8
    assert sorted(r.subscription.endpoint for r in seen) == sorted(s.endpoint for s in subs)
    assert [r.outcome for r in seen].count(Outcome.GONE) == 1


# --- keys ----------------------------------------------------------------------------------


def test_keys_are_created_once_with_mode_0600_and_reloaded(tmp_path: Path) -> None:
    first = load_or_create(tmp_path / "data", environ={})
    path = tmp_path / "data" / vapid.KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create(tmp_path / "data", environ={}).public_key_b64 == first.public_key_b64
    assert [p.name for p in path.parent.iterdir()] == [vapid.KEY_FILE_NAME]
    assert len(vapid.b64url_decode(first.public_key_b64)) == 65  # uncompressed P-256 point


def test_keys_from_env_win_over_the_data_dir(tmp_path: Path) -> None:
    keys = VapidKeys.generate()
    for text in (keys.private_key_b64, keys.private_pem().decode()):
        loaded = load_or_create(tmp_path, environ={vapid.ENV_KEY: text})
        assert loaded.public_key_b64 == keys.public_key_b64
    assert not (tmp_path / vapid.KEY_FILE_NAME).exists()


def test_keys_from_a_file_named_in_env(tmp_path: Path) -> None:
    keys = VapidKeys.generate()
    secret = tmp_path / "vapid.pem"
    secret.write_bytes(keys.private_pem())
    loaded = load_or_create(tmp_path / "data", environ={vapid.ENV_KEY_FILE: str(secret)})
    assert loaded.public_key_b64 == keys.public_key_b64


def test_keys_that_are_not_p256_are_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        VapidKeys.from_text(vapid.b64url_encode(b"short"))
