"""Password hashing with argon2id (argon2-cffi's tuned defaults)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# A hash of a random password, verified when the e-mail is unknown so that a wrong e-mail
# takes as long as a wrong password (no account enumeration by timing).
DUMMY_HASH = _hasher.hash("not-a-real-password-\u2603")
