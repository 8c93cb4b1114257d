"""API keys: ``dk_<key id>_<secret>``, shown once; the line keeps the secret's SHA-256 only.

A secret is 256 random bits, so a plain SHA-256 is as hard to reverse as the secret is to
guess (no salt or slow hash needed, unlike for passwords); hashes are compared in constant
time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

PREFIX = "dk"
_KEY = re.compile(r"dk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")


class Role(StrEnum):
    """What a key may do.

    - ``admin``: operates the line (parties, agreements, keys); belongs to no party;
    - ``officer``: a party's duty officer (plans, alerts, hotline);
    - ``feed``: pushes that party's tracks only;
    - ``observer``: reads what its party may read (a coalition member).
    """

    ADMIN = "admin"
    OFFICER = "officer"
    FEED = "feed"
    OBSERVER = "observer"


@dataclass(frozen=True)
class NewKey:
    key_id: str
    secret: str
    secret_sha256: str

    @property
    def token(self) -> str:
        """The key as the client sends it (``Authorization: Bearer <token>``)."""
        return f"{PREFIX}_{self.key_id}_{self.secret}"


def new_key() -> NewKey:
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    return NewKey(key_id, secret, sha256(secret))


def sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse(token: str) -> tuple[str, str] | None:
    """The key id and secret of a token, or None when it is not one."""
    m = _KEY.fullmatch(token)
    return (m.group(1), m.group(2)) if m else None


def matches(secret: str, secret_sha256: str) -> bool:
    return hmac.compare_digest(sha256(secret), secret_sha256)
