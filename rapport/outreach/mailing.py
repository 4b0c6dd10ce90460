"""System e-mail for a touchpoint: sent from a background job, outside any transaction, once."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from rapport.accounts.models import User
from rapport.outreach.choices import Outcome, TouchpointStatus
from rapport.outreach.models import Touchpoint


def touchpoint_email_deliver(*, touchpoint_id: int, to: str, subject: str, text: str,
                             actor_id: int | None) -> bool:  # fmt: skip
    """Send the touchpoint's e-mail unless it was claimed before; True when this call sent it.

    The claim is a conditional UPDATE, so two workers (or a retried job) never send twice; a crash
    between the claim and the send loses that one e-mail rather than sending it twice.
    """
    claimed = Touchpoint.objects.filter(pk=touchpoint_id, email_claimed_at__isnull=True).update(
        email_claimed_at=timezone.now()
    )
    if not claimed:
        return False
    point = Touchpoint.objects.select_related("client", "store").get(pk=touchpoint_id)
    sender = User.objects.filter(pk=actor_id).first() if actor_id else None
    message = EmailMessage(
        subject=subject,
        body=text,
        to=[to],
        reply_to=[sender.email] if sender and sender.email else None,
    )
    message.send()
    Touchpoint.objects.filter(pk=touchpoint_id).update(email_sent_at=timezone.now())
    from rapport.outreach.services import contact_log

    with transaction.atomic():
        point.refresh_from_db()
        if point.status == TouchpointStatus.PLANNED and sender is not None:
            contact_log(actor=sender, touchpoint=point, outcome=Outcome.SENT, text=text)
    return True
