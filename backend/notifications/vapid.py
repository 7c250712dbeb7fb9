"""The server's VAPID identity (RFC 8292): one P-256 key pair and the header it signs.

The public key is what browsers receive as ``applicationServerKey`` when they subscribe, so the
key pair must outlive restarts and deployments: rotating it silently invalidates every
subscription. :func:`load_or_create` therefore prefers an operator-supplied key
(``HOMELOOP_VAPID_PRIVATE_KEY`` or ``HOMELOOP_VAPID_PRIVATE_KEY_FILE``, the ``X_FILE`` convention
for secrets) and otherwise creates a key file once in the data directory and reuses it.

:class:`VapidSigner` signs the ES256 JWT with ``cryptography`` directly instead of PyJWT or a
push library: a signature costs about as much as encrypting a message, and a fan-out to one
push service needs only one, so the header is cached per origin until an hour before it
expires. The JWT lives 12 h because Apple rejects an ``exp`` more than 24 h ahead, and the
subject must be a real ``mailto:`` or ``https:`` contact because Apple rejects ``localhost``.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from backend import clock

ENV_KEY = "HOMELOOP_VAPID_PRIVATE_KEY"
ENV_KEY_FILE = "HOMELOOP_VAPID_PRIVATE_KEY_FILE"
KEY_FILE_NAME = "vapid_private_key.pem"

_DEFAULT_PORTS = {"https": 443, "http": 80}
_MAX_CACHED_ORIGINS = 256


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url, the encoding of every key and token in web push."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding (browsers omit it)."""
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class VapidKeys:
    """The server's P-256 key pair."""

    private_key: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls) -> VapidKeys:
        """A fresh key pair (only ever needed once per installation)."""
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_text(cls, text: str | bytes) -> VapidKeys:
        """Load a PEM private key or a raw 32-byte scalar in base64url (as web-push tools print)."""
        raw = text.encode("ascii") if isinstance(text, str) else text
        raw = raw.strip()
        if raw.startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(raw, password=None)
        else:
            scalar = b64url_decode(raw.decode("ascii"))
            if len(scalar) != 32:
                raise ValueError("a raw VAPID private key is 32 bytes in base64url")
            key = ec.derive_private_key(int.from_bytes(scalar, "big"), ec.SECP256R1())
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError("VAPID needs a P-256 (secp256r1) private key")
        return cls(key)

    @property
    def public_key_b64(self) -> str:
        """The uncompressed public point in base64url: the browser's ``applicationServerKey``."""
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url_encode(point)

    @property
    def private_key_b64(self) -> str:
        """The raw private scalar in base64url, for pasting into ``HOMELOOP_VAPID_PRIVATE_KEY``."""
        return b64url_encode(self.private_key.private_numbers().private_value.to_bytes(32, "big"))

    def private_pem(self) -> bytes:
        """PKCS#8 PEM, the on-disk format."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def load_or_create(data_dir: Path, *, environ: Mapping[str, str] | None = None) -> VapidKeys:
    """Return the installation's VAPID keys: from the environment, else the data-dir key file.

    The key file is written once with mode 0600 and published with a hard link, so two
    processes starting together agree on one key instead of each writing its own. A key file
    that cannot be read raises rather than being replaced: a new key would silently orphan
    every existing subscription.
    """
    env = os.environ if environ is None else environ
    if env.get(ENV_KEY):
        return VapidKeys.from_text(env[ENV_KEY])
    if env.get(ENV_KEY_FILE):
        return VapidKeys.from_text(Path(env[ENV_KEY_FILE]).read_bytes())

    path = data_dir / KEY_FILE_NAME
    if path.exists():
        return VapidKeys.from_text(path.read_bytes())
    data_dir.mkdir(parents=True, exist_ok=True)
    keys = VapidKeys.generate()
    fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=".vapid-")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(keys.private_pem())
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:  # another process won the race: use its key
            return VapidKeys.from_text(path.read_bytes())
    finally:
        os.unlink(tmp)
    return keys


def origin_of(endpoint: str) -> str:
    """The origin of a push endpoint (RFC 6454): the JWT audience, port kept unless default."""
    parts = urlsplit(endpoint)
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in _DEFAULT_PORTS or not host:
        raise ValueError(f"not an http(s) push endpoint: {endpoint!r}")
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _check_subject(subject: str) -> None:
    if subject.startswith("mailto:"):
        host = subject.rpartition("@")[2]
    elif subject.startswith("https://"):
        host = urlsplit(subject).hostname or ""
    else:
        raise ValueError("the VAPID subject must be a mailto: or https: contact")
    host = host.lower().rstrip(".")
    if not host or host == "localhost" or host.endswith(".localhost"):
        raise ValueError("push services (Apple) reject a VAPID subject on localhost")


class VapidSigner:
    """Builds ``Authorization: vapid t=<jwt>, k=<key>`` headers, one signature per origin.

    ``lifetime`` is how far ahead ``exp`` is set (at most 24 h); a cached header is replaced
    once it is within ``refresh_margin`` of expiring, so no request carries an almost-expired
    token even if it waits in a retry queue for a while.
    """

    def __init__(
        self,
        keys: VapidKeys,
        *,
        subject: str,
        lifetime: int = 12 * 3600,
        refresh_margin: int = 3600,
    ) -> None:
        _check_subject(subject)
        if not 0 < lifetime <= 24 * 3600:
            raise ValueError("VAPID tokens must expire within 24 hours")
        if not 0 <= refresh_margin < lifetime:
            raise ValueError("refresh_margin must be shorter than lifetime")
        self.keys = keys
        self.subject = subject
        self.lifetime = lifetime
        self.refresh_margin = refresh_margin
        self.signatures = 0  # how many JWTs were signed: a metric, and what tests count
        self._public_b64 = keys.public_key_b64
        self._cache: dict[str, tuple[str, int]] = {}

    def header(self, endpoint: str) -> str:
        """The Authorization header value for a request to ``endpoint``."""
        origin = origin_of(endpoint)
        now = int(clock.now().timestamp())
        cached = self._cache.get(origin)
        if cached is not None and now < cached[1] - self.refresh_margin:
            return cached[0]
        expires = now + self.lifetime
        value = f"vapid t={self._sign(origin, expires)}, k={self._public_b64}"
        if len(self._cache) >= _MAX_CACHED_ORIGINS:  # endpoints come from browsers: bound it
            self._cache.clear()
        self._cache[origin] = (value, expires)
        return value

    def _sign(self, audience: str, expires: int) -> str:
        header = b64url_encode(b'{"typ":"JWT","alg":"ES256"}')
        claims = json.dumps(
            {"aud": audience, "exp": expires, "sub": self.subject}, separators=(",", ":")
        )
        signing_input = f"{header}.{b64url_encode(claims.encode())}"
        der = self.keys.private_key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        self.signatures += 1
        return f"{signing_input}.{b64url_encode(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
