"""One-tap outreach from the consultant's own phone: links that open a messenger, SMS, the dialler
or the mail app with the client's address and the draft already filled in.

Pure functions, no Django. Phones arrive in E.164 (``+79161234567``); text is percent-encoded as
UTF-8 with ``%20`` for spaces (never ``+``), so Cyrillic, new lines, ``&``, ``?`` and ``#`` survive.

- WhatsApp: ``https://wa.me/<digits>?text=…`` (digits only, no ``+``).
- Telegram: ``https://t.me/<username>?text=…`` for a user name; otherwise the phone-number link
  ``https://t.me/+<digits>?text=…`` (Telegram's deep-link docs list ``text`` for both; the phone
  link resolves only when the client lets people find them by number).
- SMS: ``sms:+<digits>?&body=…``. Android reads the query (``?body=``), iOS 8 and later read
  ``&body=``; the ``?&`` form is read by both (RFC 5724's plain ``?body=`` is ignored by older
  iOS).
- Call: ``tel:+<digits>`` (RFC 3966).
- E-mail: ``mailto:<addr>?subject=…&body=…`` (RFC 6068: line breaks in the body as ``%0D%0A``).
"""

from __future__ import annotations

import re
from urllib.parse import quote

CHANNELS = ("whatsapp", "telegram", "sms", "call", "email")
_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
_NON_DIGIT = re.compile(r"\D")


def _digits(phone: str | None) -> str | None:
    """The phone's digits (country code first), or None when there are too few to be a number."""
    digits = _NON_DIGIT.sub("", phone or "")
    return digits if 7 <= len(digits) <= 15 else None


def _encode(text: str) -> str:
    """Percent-encode every reserved character, with new lines as ``%0A``."""
    return quote(text.replace("\r\n", "\n").replace("\r", "\n"), safe="")


def _with(base: str, name: str, text: str, sep: str = "?") -> str:
    return f"{base}{sep}{name}={_encode(text)}" if text else base


def telegram_username(value: str | None) -> str | None:
    """A Telegram user name from ``@name``, ``name`` or ``t.me/name``; None if it is not one."""
    name = (value or "").strip()
    name = re.sub(r"^(https?://)?(t\.me|telegram\.me)/", "", name).lstrip("@").strip("/")
    return name if _USERNAME.fullmatch(name) else None


def deep_link(
    channel: str,
    *,
    phone: str | None = None,
    email: str | None = None,
    telegram: str | None = None,
    text: str = "",
    subject: str = "",
) -> str | None:
    """The link that opens ``channel`` for the client; None without an address or channel."""
    if channel not in CHANNELS:
        return None
    digits = _digits(phone)
    if channel == "email":
        address = (email or "").strip()
        if "@" not in address:
            return None
        params = []
        if subject:
            params.append("subject=" + _encode(" ".join(subject.split())))
        if text:
            body = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
            params.append("body=" + quote(body, safe=""))
        query = "?" + "&".join(params) if params else ""
        return f"mailto:{quote(address, safe='@')}{query}"
    if channel == "telegram":
        username = telegram_username(telegram)
        if username:
            return _with(f"https://t.me/{username}", "text", text)
        return _with(f"https://t.me/+{digits}", "text", text) if digits else None
    if digits is None:
        return None
    if channel == "whatsapp":
        return _with(f"https://wa.me/{digits}", "text", text)
    if channel == "sms":
        return _with(f"sms:+{digits}", "body", text, sep="?&")
    return f"tel:+{digits}"
