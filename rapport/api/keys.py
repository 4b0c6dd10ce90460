"""Integration keys: made with ``secrets``, stored only as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "rpt_"
VISIBLE_LENGTH = 12  # "rpt_" and 8 random characters: enough to tell keys apart in a list


def key_new() -> str:
    """A new random key (256 bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_visible(key: str) -> str:
    """The start of a key, shown in lists so that people can tell which key is which."""
    return key[:VISIBLE_LENGTH]
