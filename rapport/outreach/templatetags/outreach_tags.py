"""Touchpoints in the reader's language: their reasons in plain words, labels, Today's cards."""

from __future__ import annotations

import functools
import html
from datetime import date
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils import formats, timezone
from django.utils.safestring import SafeData, SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from rapport.clients.choices import Channel, Relation
from rapport.outreach.choices import HOLIDAY_NAMES, Category, Occasion, Outcome, TouchpointStatus
from rapport.outreach.models import Touchpoint
from rapport.outreach.selectors import AgendaItem, AgendaPoint

register = template.Library()

# value → label for the choices pages list by the dozen. Django's get_FOO_display hashes every
# (lazy) choice on each call: 88 calls cost 15 ms of a Today page; a dict lookup costs nothing.
_LABELS: dict[str, dict[str, Any]] = {
    "category": dict(Category.choices),
    "channel": dict(Channel.choices),
    "occasion": dict(Occasion.choices),
    "outcome": dict(Outcome.choices),
}


@functools.cache
def _labels(kind: str, language: str | None) -> dict[str, str]:
    """The labels of one kind translated once per language (not each lazy one on each call)."""
    return {value: str(text) for value, text in _LABELS[kind].items()}


@functools.cache
def _url_pattern(name: str, prefix: str) -> tuple[str, str]:
    head, tail = reverse(name, args=[987654321]).split("987654321")
    return head, tail


@register.filter
def from_today(day: date) -> date:
    """The day, or today if it has passed (a window that opened earlier starts today)."""
    return max(day, timezone.localdate())


@register.filter
def pk_url(pk: int, name: str) -> str:
    """``{% url name pk %}`` for the per-item links of long lists, without resolving each one
    (the pattern is reversed once per URL name and script prefix)."""
    head, tail = _url_pattern(name, get_script_prefix())
    return f"{head}{int(pk)}{tail}"


@register.filter
def label(value: str, kind: str) -> str:
    """The label of a category, channel, occasion or outcome code ("" for an empty one)."""
    return _labels(kind, get_language()).get(value, value) if value else ""


def _day(iso: Any) -> str:
    try:
        return day_month(date.fromisoformat(str(iso)))
    except ValueError:
        return ""


@functools.lru_cache(maxsize=4096)
def _day_month(day: date, language: str | None) -> str:
    return formats.date_format(day, "j E")


@register.filter
def day_month(day: date | None) -> str:
    """«14 мая» / "14 May" (Django's ``date:"j E"``, cached per day and language: a list of
    contacts repeats the same few dates, and each formatting costs ~50 µs)."""
    return _day_month(day, get_language()) if day else ""


def _items(items: Any) -> str:
    return ", ".join(items or ()) or _("their purchase")


@register.filter
def reason(point: Touchpoint | AgendaPoint) -> str:
    """Why this contact, e.g. «Маша (ребёнок) — 7 лет 14 мая: идея подарка»."""
    p: dict[str, Any] = point.reason or {}
    occasion = point.occasion
    if occasion == Occasion.CLIENT_BIRTHDAY:
        return _("Turns %(age)s on %(date)s") % {
            "age": p.get("age"),
            "date": _day(p.get("birthday") or point.window_start.isoformat()),
        }
    if occasion in (Occasion.RELATIVE_BIRTHDAY_GIFT, Occasion.RELATIVE_BIRTHDAY_GREETING):
        relation = Relation(p["relation"]).label if p.get("relation") in Relation.values else ""
        text = _("%(name)s (%(relation)s) turns %(age)s on %(date)s") % {
            "name": p.get("relative_name", ""),
            "relation": str(relation).lower(),
            "age": p.get("age"),
            "date": _day(p.get("birthday")),
        }
        if occasion == Occasion.RELATIVE_BIRTHDAY_GIFT:
            return text + ": " + _("a gift idea")
        return text
    if occasion == Occasion.ANNIVERSARY_GIFT:
        return _("Anniversary on %(date)s: a gift idea") % {"date": _day(p.get("date"))}
    if occasion == Occasion.SERVICE_DUE:
        return _("Service due on %(date)s") % {"date": _day(p.get("date"))}
    if occasion in (Occasion.HOLIDAY_GREETING, Occasion.HOLIDAY_GIFT_IDEAS):
        holiday = HOLIDAY_NAMES.get(p.get("holiday", ""), _day(p.get("holiday_date")))
        if occasion == Occasion.HOLIDAY_GIFT_IDEAS:
            return _("%(holiday)s is coming: gift ideas") % {"holiday": holiday}
        return _("%(holiday)s: a greeting") % {"holiday": holiday}
    if occasion == Occasion.PURCHASE_ANNIVERSARY:
        return _("A year with %(items)s") % {"items": _items(p.get("items"))}
    if occasion == Occasion.FEEDBACK:
        return _("Came in on %(date)s: ask how it went") % {"date": _day(p.get("visit_date"))}
    if occasion == Occasion.THANK_YOU:
        return _("First purchase: %(items)s") % {"items": _items(p.get("items"))}
    if occasion == Occasion.CARE_TIPS:
        return _("Care tips for %(items)s") % {"items": _items(p.get("items"))}
    if occasion == Occasion.WIN_BACK and p.get("typical_interval_days"):
        days = p.get("days_since_purchase")  # as planned before December 2026
        if p.get("last_purchase_date"):
            days = (timezone.localdate() - date.fromisoformat(p["last_purchase_date"])).days
        if days:
            return _("%(days)s days since the last purchase; usually buys every %(usual)s days") % {
                "days": days,
                "usual": round(p["typical_interval_days"]),
            }
    return str(Occasion(occasion).label) if occasion in Occasion.values else occasion


@register.filter
def merged_labels(point: Touchpoint | AgendaPoint) -> str:
    """The occasions folded into this contact, e.g. «Новый год, Идеи подарков»."""
    labels = _labels("occasion", get_language())
    return ", ".join(labels[code] for code in point.merged_occasions if code in labels)


# --- a contact's card on Today, and the lines over its capacity ------------------------------
#
# Rendered in Python rather than with a template: Today shows every contact of the day at once,
# often twenty or more, and the template language spends ≈ 6 µs on each of a card's ~40 values
# and tags (≈ 0.3 ms a card, a third of the page's CPU); these fragments cost ≈ 0.1 ms. They are
# the card's only markup: the page, the htmx answers and the contact's own page all render it
# with {% agenda_card %}. _fill escapes every value as the template language would; the fixed
# words are translated and escaped once per language.

_CARD = """
<article class="agenda-item category-{category}{done}" id="tp-{pk}">
  <header class="agenda-head">
    <a class="name" href="{card_url}">{name}</a>
    <span class="badge category-{category}">{category_label}</span>{badges}
  </header>
  <p class="reason"><strong>{reason}</strong>{merged}</p>{note}{actions}{more}
</article>"""
_BADGE = """
    <span class="badge {kind}">{text}</span>"""
_FIXED = """
    <span class="badge fixed" title="{title}">{text}</span>"""
_MERGED = """ <span class="muted">+ {labels}</span>"""
_NOTE = """
  <p class="note" role="status">{note}</p>"""
# One form holds the draft and the outcome buttons, so a tap on "Sent" sends the edited text.
_DRAFT = """
  <form class="draft" method="post" action="{draft_url}">
    {csrf}
    <label for="draft-{pk}">{message} · {channel}</label>
    <textarea id="draft-{pk}" name="text" rows="5" maxlength="2000" data-draft \
hx-post="{draft_url}" hx-trigger="change" hx-target="closest .agenda-item" hx-swap="none">\
{text}</textarea>
    <noscript><button type="submit" class="button">{save}</button></noscript>
    <div class="actions">{send}{outcomes}
    </div>
  </form>"""
_SEND = """
      <a class="button primary send" href="{link}" data-link-for="{pk}" \
data-link-template="{link_template}" data-channel="{channel}" target="_blank" \
rel="noopener">{label}</a>"""
_OUTCOME = """
      <button class="button" name="outcome" value="{outcome}" formaction="{log_url}" \
hx-post="{log_url}" hx-target="closest .agenda-item" hx-swap="outerHTML">{label}</button>"""
_WAITING = """
  <form class="actions" method="post" action="{log_url}" hx-post="{log_url}" \
hx-target="closest .agenda-item" hx-swap="outerHTML">
    {csrf}
    <button class="button primary" name="outcome" value="replied">{replied}</button>
    <button class="button" name="outcome" value="visit_booked">{visit_booked}</button>
    <button class="button" name="outcome" value="no_answer">{no_answer}</button>
  </form>"""
# The rarely used actions load when "More" opens; without JavaScript, its link opens the contact
# on a page of its own, where they are rendered open.
_MORE = """
  <details class="more" hx-get="{more_url}" hx-trigger="toggle once" hx-target="find .more-menu">
    <summary>{more}</summary>
    <div class="more-menu"><a href="{more_url}">{more_link}</a></div>
  </details>"""
_MORE_OPEN = """
  <details class="more" open>
    <summary>{more}</summary>
    <div class="more-menu">{menu}</div>
  </details>"""


def _fill(fragment: str, **values: object) -> SafeString:
    """``format_html`` without its cost per value (it checks each for a lazy string, then for
    ``__html__``): each value escaped unless it is already safe HTML."""
    return SafeString(
        fragment.format_map(
            {
                key: value if isinstance(value, SafeData) else html.escape(str(value))
                for key, value in values.items()
            }
        )
    )


@functools.cache
def _card_words(language: str | None) -> dict[str, SafeString]:
    """The fixed words of a card, translated and escaped once per language."""
    words = {
        "message": _("Message"),
        "save": _("Save the message"),
        "sent": _("Sent"),
        "talked": _("Talked"),
        "no_answer": _("No answer"),
        "replied": _("Replied"),
        "visit_booked": _("Visit booked"),
        "waiting": _("waiting for a reply"),
        "done": _("done"),
        "fixed": _("Tied to a date"),
        "no_channel": _("no channel"),
        "more": _("More"),
        "more_link": _("Other outcomes, remind me later"),
    }
    return {key: SafeString(html.escape(text)) for key, text in words.items()}


@functools.cache
def _send_words(language: str | None) -> dict[str, SafeString]:
    """The one-tap link's words for each channel, translated and escaped once per language."""
    words = {
        Channel.WHATSAPP: _("Open WhatsApp"),
        Channel.TELEGRAM: _("Open Telegram"),
        Channel.SMS: _("Write an SMS"),
        Channel.CALL: _("Call"),
        Channel.EMAIL: _("Write an e-mail"),
    }
    return {str(key): SafeString(html.escape(text)) for key, text in words.items()}


def _csrf_input(context: template.Context) -> SafeString:
    """What ``{% csrf_token %}`` writes."""
    token = context.get("csrf_token")
    if not token or token == "NOTPROVIDED":
        return SafeString("")
    return _fill('<input type="hidden" name="csrfmiddlewaretoken" value="{token}">', token=token)


@register.simple_tag(takes_context=True)
def agenda_card(
    context: template.Context, item: AgendaItem, note: str = "", menu: bool = False
) -> SafeString:
    """A contact's card on Today: who, why, the badges, and for an open contact the editable
    draft, the one-tap link, the outcome buttons and "More"; ``menu`` renders the rarely used
    actions open (the contact's own page) instead of loading them when "More" opens."""
    point = item.touchpoint
    pk = point.pk
    language = get_language()
    words = _card_words(language)
    log_url = pk_url(pk, "outreach:outcome_log")
    badges = []
    if point.status == TouchpointStatus.WAITING:
        badges.append(_fill(_BADGE, kind="waiting", text=words["waiting"]))
    elif point.status == TouchpointStatus.DONE:
        badges.append(_fill(_BADGE, kind="done", text=SafeString("✓ " + words["done"])))
    elif item.is_overdue:
        since = _("since %(date)s") % {"date": day_month(point.due_on)}
        badges.append(_fill(_BADGE, kind="overdue", text=since))
    if point.is_fixed:
        by = _("by %(date)s") % {"date": day_month(point.window_end)}
        badges.append(_fill(_FIXED, title=words["fixed"], text=by))
    actions = ""
    if point.status == TouchpointStatus.PLANNED:
        send = ""
        if item.link:
            send = _fill(
                _SEND,
                link=item.link,
                pk=pk,
                link_template=item.link_template,
                channel=point.channel,
                label=_send_words(language)[point.channel],
            )
        outcomes: tuple[tuple[str, str], ...] = (("sent", "sent"),)
        if point.channel == Channel.CALL:
            outcomes = (("replied", "talked"), ("no_answer", "no_answer"))
        actions = _fill(
            _DRAFT,
            draft_url=pk_url(pk, "outreach:draft_save"),
            csrf=_csrf_input(context),
            pk=pk,
            message=words["message"],
            channel=_labels("channel", language).get(point.channel) or words["no_channel"],
            text=item.text,
            save=words["save"],
            send=send,
            outcomes=SafeString(
                "".join(
                    _fill(_OUTCOME, outcome=outcome, log_url=log_url, label=words[label])
                    for outcome, label in outcomes
                )
            ),
        )
    elif point.status == TouchpointStatus.WAITING:
        actions = _fill(
            _WAITING,
            log_url=log_url,
            csrf=_csrf_input(context),
            replied=words["replied"],
            visit_booked=words["visit_booked"],
            no_answer=words["no_answer"],
        )
    more = ""
    if point.status in (TouchpointStatus.PLANNED, TouchpointStatus.WAITING):
        if menu:
            menu_html = render_to_string(
                "outreach/partials/agenda_menu.html", {"point": point}, context.get("request")
            )
            more = _fill(_MORE_OPEN, more=words["more"], menu=menu_html)
        else:
            more_url = pk_url(pk, "outreach:touchpoint_menu")
            more = _fill(_MORE, more_url=more_url, more=words["more"], more_link=words["more_link"])
    return _fill(
        _CARD,
        category=point.category,
        done=" is-done" if point.status == TouchpointStatus.DONE else "",
        pk=pk,
        card_url=pk_url(point.client_id, "clients:card"),
        name=point.client.full_name,
        category_label=_labels("category", language).get(point.category, point.category),
        badges=SafeString("".join(badges)),
        reason=reason(point),
        merged=_fill(_MERGED, labels=merged_labels(point)) if point.merged_occasions else "",
        note=_fill(_NOTE, note=note) if note else "",
        actions=actions,
        more=more,
    )


_OVERFLOW_ROW = """
    <li class="touchpoint category-{category}">
      <span class="when">{when}</span>
      <a href="{card_url}{anchor}">{name}</a>
      <span class="detail">{occasion}</span>
    </li>"""


@register.simple_tag
def overflow_row(item: AgendaItem) -> SafeString:
    """A contact over today's capacity, as one line: the day it moves to (or, when it cannot
    move, its date and a link to the card's plan), the client and the occasion."""
    point = item.touchpoint
    return _fill(
        _OVERFLOW_ROW,
        category=point.category,
        when=day_month(item.moved_to or point.due_on),
        card_url=pk_url(point.client_id, "clients:card"),
        anchor="" if item.moved_to else "#plan",
        name=point.client.full_name,
        occasion=label(point.occasion, "occasion"),
    )
