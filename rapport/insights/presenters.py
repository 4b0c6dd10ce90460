"""Numbers in plain words (the card) and the dashboard's charts laid out for the templates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import formats
from django.utils.dates import MONTHS_3
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rapport.insights import charts
from rapport.insights.choices import ClientKind, SignalCode
from rapport.insights.models import ClientScore
from rapport.insights.selectors import Dashboard

# --- durations ----------------------------------------------------------------------------------


def span(days: float) -> str:
    """A number of days as people say it: days up to two weeks, weeks up to four months, then
    months ("10 days", "7 weeks", "5 months")."""
    if days < 14:
        n = max(1, round(days))
        return ngettext("%(n)d day", "%(n)d days", n) % {"n": n}
    if days < 120:
        n = round(days / 7)
        return ngettext("%(n)d week", "%(n)d weeks", n) % {"n": n}
    n = round(days / 30.44)
    return ngettext("%(n)d month", "%(n)d months", n) % {"n": n}


def span_range(low: float, high: float) -> str:
    """A usual range ("7–9 weeks"), or one span when both ends say the same."""
    a, b = span(low), span(high)
    if a == b:
        return a
    if low < 14 <= high or low < 120 <= high:  # different units: say both in full
        return f"{a} – {b}"
    head = a.split(" ", 1)[0]
    return f"{head}–{b}"


# --- the card -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Line:
    """One sentence about the client, with a tone for the eye (ok, warn)."""

    text: str
    tone: str = ""


@dataclass(frozen=True, slots=True)
class ClientNumbers:
    """What the card says about a client's numbers."""

    score: ClientScore
    rhythm: Line | None
    kind: str
    kind_reason: str
    signals: list[Line]
    value: list[Line]


def rhythm_line(score: ClientScore) -> Line | None:
    """ "Usually buys every 7–9 weeks; 12 weeks now" (a warning tone past the usual range)."""
    if score.interval_days is None or score.last_purchase is None:
        return None
    usual = span_range(score.interval_low or score.interval_days, score.interval_high or 0)
    since = (score.computed_on - score.last_purchase).days
    now = span(since) if since > 0 else _("bought today")
    late = score.interval_high is not None and since > score.interval_high
    return Line(
        _("Usually buys every %(usual)s; %(now)s now.") % {"usual": usual, "now": now}
        if since > 0
        else _("Usually buys every %(usual)s; %(now)s.") % {"usual": usual, "now": now},
        "warn" if late else "ok",
    )


def _percent(value: Any) -> str:
    return f"{round(100 * float(value))} %"


def grouped(value: float) -> str:
    """A whole number with thousands grouped in the user's locale."""
    return formats.number_format(round(value), use_l10n=True, force_grouping=True)


def money(value: Any, currency: str) -> str:
    """An amount in whole units of the store's currency ("1 250 000 RUB")."""
    return f"{grouped(float(value))} {currency}"


def signal_line(code: str, evidence: dict[str, Any], currency: str) -> Line:
    """One churn signal with the evidence behind it."""
    e = evidence
    if code == SignalCode.BASKET_SHRINKING:
        text = _(
            "Baskets are shrinking: %(recent)s on average over the last %(n)s purchases, "
            "%(earlier)s before."
        ) % {
            "recent": money(e.get("recent_avg", 0), currency),
            "earlier": money(e.get("earlier_avg", 0), currency),
            "n": e.get("recent_count", 3),
        }
    elif code == SignalCode.INTERVALS_LENGTHENING:
        text = _("Comes back less often: lately every %(recent)s, before every %(earlier)s.") % {
            "recent": span(float(e.get("recent_gap", 0))),
            "earlier": span(float(e.get("earlier_gap", 0))),
        }
    elif code == SignalCode.RETURNS:
        if e.get("returns_recent"):
            text = ngettext(
                "Returned goods %(n)d time in the last six months (%(amount)s).",
                "Returned goods %(n)d times in the last six months (%(amount)s).",
                int(e["returns_recent"]),
            ) % {
                "n": int(e["returns_recent"]),
                "amount": money(e.get("returned_recent", 0), currency),
            }
        else:
            text = _("Returns %(share)s of what they buy.") % {
                "share": _percent(e.get("return_share", 0))
            }
    elif code == SignalCode.UNANSWERED:
        if e.get("opted_out_on"):
            text = _("Asked not to be contacted on %(day)s.") % {"day": _day(e["opted_out_on"])}
        elif e.get("declined_on"):
            text = _("Declined an offer on %(day)s.") % {"day": _day(e["declined_on"])}
        else:
            text = ngettext(
                "The last %(n)d message went unanswered.",
                "The last %(n)d messages went unanswered.",
                int(e.get("streak", 0)),
            ) % {"n": int(e.get("streak", 0))}
    elif code == SignalCode.SERVICES_DROPPED:
        text = _("Stopped using the store's services: the last one was %(ago)s ago.") % {
            "ago": span(float(e.get("days_since_service", 0)))
        }
    elif code == SignalCode.OVERDUE:
        text = _("Past their rhythm: %(since)s since the last purchase, usually %(usual)s.") % {
            "since": span(float(e.get("days_since", 0))),
            "usual": span(float(e.get("interval", 0))),
        }
    else:
        text = code
    return Line(text, "warn")


def _day(value: Any) -> str:
    try:
        return formats.date_format(date.fromisoformat(str(value)), "j E Y")
    except ValueError:
        return str(value)


KIND_REASONS = {
    "too_little_history": lambda e: _("Too few purchases to tell yet."),
    "discount_share": lambda e: (
        _("%(share)s of the price they pay is discounted.")
        % {"share": _percent(e.get("discount_share", 0))}
    ),
    "discounted_receipts": lambda e: _("Most of their receipts carry a discount."),
    "regular_rhythm": lambda e: (
        _("Buys regularly (%(n)s purchases, a steady rhythm).") % {"n": e.get("purchase_days", 0)}
    ),
    "visits_without_purchase": lambda e: (
        _("Comes in often without buying (%(visits)s visits, %(n)s purchases).")
        % {"visits": e.get("visits", 0), "n": e.get("purchase_days", 0)}
    ),
    "single_item_receipts": lambda e: _("Comes for one thing at a time when they need it."),
    "several_items_irregular": lambda e: _("Buys on the spot, at no particular rhythm."),
}


def client_numbers(score: ClientScore | None, currency: str) -> ClientNumbers | None:
    """The card's sentences about a scored client (None before the first scoring)."""
    if score is None:
        return None
    reason = KIND_REASONS.get(str(score.kind_evidence.get("reason", "")))
    value: list[Line] = []
    if score.purchases:
        value.append(
            Line(
                _("Spent %(total)s in all, %(year)s in the last 12 months; %(ticket)s a purchase.")
                % {
                    "total": money(score.revenue, currency),
                    "year": money(score.revenue_year, currency),
                    "ticket": money(score.average_ticket, currency),
                }
            )
        )
    if score.p_alive is not None:
        value.append(
            Line(
                _(
                    "Chance they are still a client: %(alive)s; expected purchases in 90 days: "
                    "%(expected)s."
                )
                % {
                    "alive": _percent(score.p_alive),
                    "expected": formats.number_format(score.expected_purchases or 0, 1),
                },
                "warn" if score.p_alive < 0.5 else "ok",
            )
        )
    if score.clv is not None:
        value.append(
            Line(
                _("Expected value over the next months: %(clv)s.")
                % {"clv": money(score.clv, currency)}
            )
        )
    return ClientNumbers(
        score=score,
        rhythm=rhythm_line(score),
        kind=str(ClientKind(score.kind).label) if score.kind in ClientKind.values else score.kind,
        kind_reason=reason(score.kind_evidence) if reason else "",
        signals=[
            signal_line(s.get("code", ""), s.get("evidence", {}), currency)
            for s in score.signals
            if isinstance(s, dict)
        ],
        value=value,
    )


# --- the dashboard ------------------------------------------------------------------------------

TILE_LABELS = {
    "revenue": lambda: _("Revenue"),
    "buyers": lambda: _("Buying clients"),
    "retention": lambda: _("Retention (CRR)"),
    "repeat": lambda: _("Repeat purchase rate"),
    "regular_clients": lambda: _("Regular clients among buyers"),
    "regular_revenue": lambda: _("Regular clients' share of revenue"),
    "top_share": lambda: _("Revenue from the top fifth of clients"),
    "average_ltv": lambda: _("Average lifetime revenue"),
    "outreach_return": lambda: _("Came back after a contact"),
    "outreach_revenue": lambda: _("Revenue after contacts"),
    "adherence": lambda: _("Contacts made on time"),
}
FUNNEL_LABELS = {
    "planned": lambda: _("Due"),
    "done": lambda: _("Made"),
    "replied": lambda: _("Replied"),
    "visited": lambda: _("Came in"),
    "bought": lambda: _("Bought"),
}


def _months() -> list[str]:
    return [str(MONTHS_3[i]).capitalize() for i in range(1, 13)]


def dashboard_context(board: Dashboard) -> dict[str, Any]:
    """The template's context: tiles with labels, and each chart's geometry and table."""
    names = _months()
    months = [charts.month_label(m.month, names) for m in board.months]
    revenue = charts.stacked_bars(
        [names[m.month.month - 1] for m in board.months],
        {
            "new": [m.new for m in board.months],
            "returning": [m.returning for m in board.months],
        },
    )
    regular = charts.line(
        [charts.month_label(m, names) for m, _ in board.regular_by_month],
        [v for _, v in board.regular_by_month],
    )
    cohorts = board.cohorts
    heat = (
        charts.heatmap(
            [charts.month_label(m, names) for m in cohorts.months],
            list(cohorts.sizes),
            [list(row) for row in cohorts.retention],
        )
        if cohorts and cohorts.months
        else None
    )
    funnel = board.funnel
    steps = (
        charts.funnel_steps([(key, getattr(funnel, key)) for key in FUNNEL_LABELS])
        if funnel
        else ()
    )
    return {
        "board": board,
        "scope": board.scope,
        "tiles": [(TILE_LABELS[t.key](), t) for t in board.tiles],
        "revenue_chart": revenue,
        "revenue_rows": list(zip(months, board.months, strict=True)),
        "regular_chart": regular,
        "cohort_chart": heat,
        "funnel_steps": [(FUNNEL_LABELS[s.key](), s) for s in steps],
        "currency": board.currency,
        "periods": [
            ("30d", _("30 days")),
            ("90d", _("90 days")),
            ("month", _("This month")),
            ("quarter", _("This quarter")),
            ("year", _("This year")),
            ("365d", _("12 months")),
        ],
    }
