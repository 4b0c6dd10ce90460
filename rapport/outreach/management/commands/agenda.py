"""``rapport agenda --user NAME [--date YYYY-MM-DD] [--json]``: a consultant's Today list."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from rapport.accounts.models import User
from rapport.outreach.selectors import AgendaItem, agenda_for


class Command(BaseCommand):
    help = "Print a consultant's Today list: who to contact, why, on which channel, with the draft."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="the consultant's user name")
        parser.add_argument("--date", type=date.fromisoformat, help="the day (default: today)")
        parser.add_argument("--json", action="store_true", help="one JSON object per line")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["user"], is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError(f"no active user {options['user']!r}") from exc
        day = options["date"] or timezone.localdate()
        page = agenda_for(user=user, day=day)
        rows = [("today", item) for item in page.items]
        rows += [("waiting", item) for item in page.waiting]
        rows += [("moved", item) for item in page.moved]
        rows += [("later", item) for item in page.later]
        if options["json"]:
            summary = {"user": user.username, "date": day.isoformat(), **page.counts}
            self.stdout.write(json.dumps({"summary": summary}, ensure_ascii=False))
            for section, item in rows:
                self.stdout.write(json.dumps(_row(section, item), ensure_ascii=False))
            return
        self.stdout.write(
            f"{user.username} {day.isoformat()}: {page.counts['today']} due today, "
            f"{page.counts['overdue']} overdue, {page.counts['waiting']} waiting, "
            f"capacity {page.capacity}"
        )
        for section, item in rows:
            row = _row(section, item)
            when = row["moved_to"] or row["due_on"]
            self.stdout.write(
                f"{section:8} {when}  {row['client']:<28} {row['occasion']:<24} {row['channel']}"
            )


def _row(section: str, item: AgendaItem) -> dict[str, Any]:
    point = item.touchpoint
    return {
        "section": section,
        "touchpoint": point.pk,
        "client_id": point.client_id,
        "client": point.client.full_name,
        "due_on": point.due_on.isoformat(),
        "moved_to": item.moved_to.isoformat() if item.moved_to else None,
        "occasion": point.occasion,
        "category": point.category,
        "channel": point.channel,
        "fixed": point.is_fixed,
        "overdue": item.is_overdue,
        "text": item.text,
        "link": item.link,
    }
