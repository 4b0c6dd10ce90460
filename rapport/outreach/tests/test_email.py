"""System e-mail end to end: the page queues a job, ``rapport worker`` sends it through Django's
SMTP backend to a real SMTP server on localhost, once, however often the job is queued."""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator
from datetime import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from rapport.clients.choices import Channel, ConsentSource, ConsentStatus
from rapport.clients.services import client_update, consent_set
from rapport.outreach.choices import Occasion, Outcome, TouchpointStatus
from rapport.outreach.jobs import touchpoint_email_send
from rapport.outreach.models import Contact, Standard, Touchpoint
from rapport.testing import World

pytestmark = pytest.mark.django_db(transaction=True)


class Inbox:
    """An SMTP server's handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 Message accepted"


@pytest.fixture
def smtp(settings: Settings) -> Iterator[Inbox]:
    """A real SMTP server (aiosmtpd) on a free local port, and Django's SMTP backend aimed at it."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def worker_signals() -> Iterator[None]:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def run_worker() -> None:
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def test_the_consultant_has_rapport_send_the_e_mail_once(
    world: World, smtp: Inbox, worker_signals: None
) -> None:
    # No quiet hours, so the worker sends at once whatever the hour the suite runs at.
    Standard.objects.create(store=world.store, quiet_from=time(0), quiet_until=time(0))
    today = timezone.localdate()
    consent_set(
        actor=world.owner,
        client=world.client,
        channel=Channel.EMAIL,
        status=ConsentStatus.GRANTED,
        source=ConsentSource.IN_STORE_FORM,
    )
    client_update(
        actor=world.owner, client=world.client, birthday=today.replace(year=today.year - 30)
    )
    point = Touchpoint.objects.get(
        client=world.client, occasion=Occasion.CLIENT_BIRTHDAY, due_on=today
    )
    assert point.channel == Channel.EMAIL

    browser = Browser()
    browser.force_login(world.owner)
    response = browser.post(
        reverse("outreach:email_send", args=[point.pk]),
        {"text": "Анна, с днём рождения!\nОльга"},
    )
    assert response.status_code == 302
    assert smtp.messages == []  # nothing leaves inside the request

    run_worker()
    assert len(smtp.messages) == 1
    sent = smtp.messages[0]
    assert sent["To"] == "anna@example.ru"
    assert sent["Subject"] == "Бутик на Тверской"
    assert sent.get_content().replace("\r\n", "\n").strip() == "Анна, с днём рождения!\nОльга"
    point.refresh_from_db()
    assert point.status == TouchpointStatus.WAITING
    assert point.email_sent_at is not None
    assert Contact.objects.get(touchpoint=point).outcome == Outcome.SENT

    # A duplicated job (a retry, a second click that slipped through) sends nothing more.
    touchpoint_email_send.enqueue(
        touchpoint_id=point.pk, to="anna@example.ru", subject="x", text="x", actor_id=world.owner.pk
    )
    run_worker()
    assert len(smtp.messages) == 1
    again = browser.post(reverse("outreach:email_send", args=[point.pk]), {"text": "ещё раз"})
    assert again.status_code == 302
    run_worker()
    assert len(smtp.messages) == 1
