"""One-tap links: every channel, exact, with Cyrillic, new lines and URL-special characters."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from rapport.core.deeplinks import CHANNELS, deep_link, telegram_username

PHONE = "+79161234567"
# «Анна, привет!» + new line + «A & B? #1»
TEXT = "Анна, привет!\nA & B? #1"
ENCODED = (
    "%D0%90%D0%BD%D0%BD%D0%B0%2C%20%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82%21%0AA%20%26%20B%3F%20%231"
)


def test_whatsapp() -> None:
    assert (
        deep_link("whatsapp", phone=PHONE, text=TEXT) == f"https://wa.me/79161234567?text={ENCODED}"
    )
    assert deep_link("whatsapp", phone=PHONE) == "https://wa.me/79161234567"
    assert deep_link("whatsapp", phone="+7 (916) 123-45-67", text="Hi") == (
        "https://wa.me/79161234567?text=Hi"
    )


def test_telegram_by_user_name_then_by_phone() -> None:
    assert deep_link("telegram", telegram="@anna_k", phone=PHONE, text=TEXT) == (
        f"https://t.me/anna_k?text={ENCODED}"
    )
    assert deep_link("telegram", telegram="https://t.me/anna_k", text="Hi there") == (
        "https://t.me/anna_k?text=Hi%20there"
    )
    assert deep_link("telegram", phone=PHONE, text=TEXT) == (
        f"https://t.me/+79161234567?text={ENCODED}"
    )
    assert deep_link("telegram", telegram="not a name", phone=PHONE) == "https://t.me/+79161234567"
    assert deep_link("telegram", telegram="@ab") is None


def test_telegram_user_names() -> None:
    assert telegram_username("@Anna_K") == "Anna_K"
    assert telegram_username(" t.me/anna_k/ ") == "anna_k"
    assert telegram_username("1anna") is None
    assert telegram_username("ann") is None
    assert telegram_username(None) is None


def test_sms_is_read_by_android_and_ios() -> None:
    assert deep_link("sms", phone=PHONE, text=TEXT) == f"sms:+79161234567?&body={ENCODED}"
    assert deep_link("sms", phone=PHONE) == "sms:+79161234567"


def test_call() -> None:
    assert deep_link("call", phone=PHONE, text="ignored") == "tel:+79161234567"


def test_email_follows_rfc_6068() -> None:
    link = deep_link(
        "email", email="anna@example.ru", subject="Бутик & Co", text="Line 1\nLine 2 & more"
    )
    assert link == (
        "mailto:anna@example.ru?subject=%D0%91%D1%83%D1%82%D0%B8%D0%BA%20%26%20Co"
        "&body=Line%201%0D%0ALine%202%20%26%20more"
    )
    assert deep_link("email", email="anna+shop@example.ru") == "mailto:anna%2Bshop@example.ru"
    assert deep_link("email", email="anna@example.ru", text="A\r\nB") == (
        "mailto:anna@example.ru?body=A%0D%0AB"
    )


@pytest.mark.parametrize("channel", ["whatsapp", "sms", "call"])
def test_a_phone_channel_without_a_phone_has_no_link(channel: str) -> None:
    assert deep_link(channel, email="anna@example.ru", text="Hi") is None
    assert deep_link(channel, phone="", text="Hi") is None
    assert deep_link(channel, phone="+7 12", text="Hi") is None


def test_missing_addresses_and_unknown_channels_have_no_link() -> None:
    assert deep_link("email", phone=PHONE, text="Hi") is None
    assert deep_link("email", email="not an address") is None
    assert deep_link("telegram", email="anna@example.ru") is None
    assert deep_link("", phone=PHONE) is None
    assert deep_link("pigeon", phone=PHONE) is None


@pytest.mark.parametrize("channel", ["whatsapp", "telegram", "sms"])
def test_the_text_comes_back_intact(channel: str) -> None:
    link = deep_link(channel, phone=PHONE, text=TEXT)
    assert link is not None
    query = urlsplit(link.replace("?&", "?")).query
    assert "+" not in query and " " not in query
    assert parse_qs(query)["body" if channel == "sms" else "text"] == [TEXT]
    assert unquote(query.split("=", 1)[1]) == TEXT


def test_every_channel_is_covered() -> None:
    assert CHANNELS == ("whatsapp", "telegram", "sms", "call", "email")
