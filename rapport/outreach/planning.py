"""Loading clients into the planner and saving what it plans (used by the services and jobs).

The planner (:mod:`rapport.core.planner`) is pure; this module is the only place that turns rows
into its input and its output back into rows. Clients are loaded in chunks with a fixed number of
queries (``values_list``, no model instances), and a plan is saved as a diff against the stored
future planned rows, so a re-plan that changes nothing writes nothing.
"""

from __future__ import annotations

import json
import time as clock
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    CharField,
    DateField,
    F,
    FloatField,
    OuterRef,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from rapport.accounts.models import Store
from rapport.base.queries import among as ids_q
from rapport.clients.choices import Channel, ConsentStatus, ContactKind
from rapport.clients.models import Client, Consent, ContactPoint, KeyDate, Preference, Relative
from rapport.core import planner
from rapport.outreach.choices import TouchpointStatus
from rapport.outreach.models import Contact, Standard, Touchpoint

# A channel is usable only with an address to reach the client on it.
CHANNEL_NEEDS = {
    Channel.WHATSAPP: {ContactKind.PHONE},
    Channel.SMS: {ContactKind.PHONE},
    Channel.CALL: {ContactKind.PHONE},
    Channel.TELEGRAM: {ContactKind.PHONE, ContactKind.TELEGRAM},
    Channel.EMAIL: {ContactKind.EMAIL},
}
_NEEDS = {str(channel): {str(kind) for kind in kinds} for channel, kinds in CHANNEL_NEEDS.items()}


def reachable(consented: Iterable[str], address_kinds: Collection[str]) -> frozenset[str]:
    """The consented channels the card has an address for (the only ones a plan may use)."""
    return frozenset(c for c in consented if _NEEDS.get(c, set()) & set(address_kinds))


HISTORY_DAYS = 3 * 365
CHUNK = 2_000
_GREET_AUDIENCES = frozenset({"all", "f", "m", "none"})
_OPEN = frozenset({TouchpointStatus.PLANNED.value, TouchpointStatus.WAITING.value})


# --- the store's rules --------------------------------------------------------------------------


def greeted_dates_from(rows: object) -> tuple[planner.GreetedDate, ...]:
    """The store's greeted dates: its JSON list of ``{key, greet, gift_ideas}`` merged onto the
    planner's defaults by key (a new key with ``month``/``day``, ``weekday``/``nth`` or
    ``public_name`` adds a date of the store's own; malformed entries are ignored)."""
    dates = {d.key: d for d in planner.DEFAULT_GREETED_DATES}
    for row in rows if isinstance(rows, list) else ():
        if not isinstance(row, dict) or not isinstance(row.get("key"), str):
            continue
        base = dates.get(row["key"])
        if base is None:
            try:
                base = planner.GreetedDate(
                    row["key"],
                    public_name=str(row.get("public_name", "")),
                    month=int(row.get("month", 0)),
                    day=int(row.get("day", 0)),
                    weekday=None if row.get("weekday") is None else int(row["weekday"]),
                    nth=int(row.get("nth", 0)),
                )
            except (TypeError, ValueError):
                continue
            if not (base.public_name or 1 <= base.month <= 12):
                continue
        greet = row.get("greet", base.greet)
        gifts = row.get("gift_ideas", base.gift_ideas)
        dates[row["key"]] = replace(
            base,
            greet=greet if greet in _GREET_AUDIENCES else base.greet,
            gift_ideas=gifts if gifts in _GREET_AUDIENCES else base.gift_ideas,
        )
    return tuple(dates.values())


def _standard(row: Mapping[str, Any] | None, country: str) -> planner.Standard:
    if row is None:
        return planner.Standard(country=country)
    disabled = row["disabled_occasions"] if isinstance(row["disabled_occasions"], list) else []
    return planner.Standard(
        min_gap=row["min_gap"],
        max_gap=row["max_gap"],
        horizon_days=row["horizon_days"],
        former_per_year=row["former_per_year"],
        overdue_ratio_winback=float(row["overdue_ratio_winback"]),
        country=country,
        greeted_dates=greeted_dates_from(row["greeted_dates"]),
        disabled_occasions=frozenset(disabled) & planner.DISABLEABLE,
    )


_STANDARD_FIELDS = ("store_id", "min_gap", "max_gap", "horizon_days", "former_per_year",
                    "overdue_ratio_winback", "greeted_dates", "disabled_occasions")  # fmt: skip


def standard_for(store: Store) -> planner.Standard:
    """The store's planning rules as the planner takes them (defaults until a manager edits)."""
    row = Standard.objects.filter(store=store).values(*_STANDARD_FIELDS).first()
    return _standard(row, store.country)


def standards_for(store_ids: Iterable[int]) -> dict[int, planner.Standard]:
    """:func:`standard_for` for several stores in two queries (one object per store)."""
    countries = dict(Store.objects.filter(pk__in=set(store_ids)).values_list("pk", "country"))
    rows = {
        row["store_id"]: row
        for row in Standard.objects.filter(store_id__in=countries).values(*_STANDARD_FIELDS)
    }
    return {pk: _standard(rows.get(pk), country) for pk, country in countries.items()}


# --- loading ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Owner:
    """Where a client's touchpoints go: the client's store and consultant."""

    store_id: int
    owner_id: int | None


def plan_input_for(client: Client, *, today: date) -> planner.PlanClient:
    """Everything the planner needs about one client (the chunk loader with one id)."""
    return plan_inputs_for([client.pk], today)[client.pk]


def plan_inputs_for(client_ids: Sequence[int], today: date) -> dict[int, planner.PlanClient]:
    """The planner's input for a chunk of clients (up to a few thousand) in at most eight
    queries."""
    return _load(client_ids, today)[0]


def _load(
    client_ids: Sequence[int], today: date
) -> tuple[dict[int, planner.PlanClient], dict[int, Owner]]:
    """Clients and their history in at most eight queries: the clients with their last contact,
    their addresses/consents/preferences (one UNION), relatives, key dates, purchases, receipt
    lines (if there are purchases), visits, and the touchpoints that were sent, done, cancelled
    or placed by hand."""
    from rapport.sales.models import Purchase, PurchaseLine, Visit

    ids = list(client_ids)
    if not ids:
        return {}, {}
    wanted, among = set(ids), ids_q(ids)
    tz = timezone.get_current_timezone()
    since = datetime.combine(today - timedelta(days=HISTORY_DAYS), time.min, tzinfo=tz)

    last_contact = (
        Contact.objects.filter(client=OuterRef("pk"))
        .order_by("-at")
        .values(day=TruncDate("at"))[:1]
    )
    clients = list(
        Client.objects.filter(ids_q(ids, "pk"))
        .order_by()
        .annotate(last_contact=Subquery(last_contact, output_field=DateField()))
        .values_list("pk", "status", "preferred_channel", "birthday", "language", "gender",
                     "first_name", "store_id", "owner_id", "last_contact", "is_blacklisted",
                     "merged_into_id")
    )  # fmt: skip

    tag = CharField()
    facts = (
        ContactPoint.objects.filter(among)
        .order_by()
        .values_list("client_id", Value("a", output_field=tag), "kind", "kind", "pk")
        .union(
            Consent.objects.filter(among, status=ConsentStatus.GRANTED)
            .order_by()
            .values_list("client_id", Value("c", output_field=tag), "channel", "channel", "pk"),
            Preference.objects.filter(among, kind__in=["brand", "category"])
            .order_by()
            .values_list("client_id", Value("p", output_field=tag), "value", "kind", "pk"),
            all=True,
        )
        .order_by()
    )
    addresses: dict[int, set[str]] = defaultdict(set)
    consents: dict[int, list[str]] = defaultdict(list)
    liked: list[tuple[int, str, int, str]] = []
    for client_id, what, value, kind, pk in facts:
        if what == "a":
            addresses[client_id].add(value)
        elif what == "c":
            consents[client_id].append(value)
        else:
            liked.append((client_id, kind, pk, value))
    preferences: dict[int, list[str]] = defaultdict(list)
    for client_id, _, _, value in sorted(liked):  # the card's order: kind, then pk
        preferences[client_id].append(value)

    relatives: dict[int, list[planner.PlanRelative]] = defaultdict(list)
    for client_id, pk, name, relation, birthday, greet in (
        Relative.objects.filter(among)
        .order_by("client_id", "relation", "name", "pk")
        .values_list("client_id", "pk", "name", "relation", "birthday", "greet_directly")
    ):
        relatives[client_id].append(planner.PlanRelative(pk, name, relation, birthday, greet))

    key_dates: dict[int, list[planner.PlanKeyDate]] = defaultdict(list)
    for client_id, pk, kind, day, recurrence, relative_id in (
        KeyDate.objects.filter(among)
        .order_by("client_id", "date", "pk")
        .values_list("client_id", "pk", "kind", "date", "recurrence", "relative_id")
    ):
        key_dates[client_id].append(
            planner.PlanKeyDate(pk, kind, day, recurrence == "yearly", relative_id)
        )

    bought = list(
        Purchase.objects.filter(among, purchased_at__gte=since)
        .order_by("client_id", "purchased_at", "pk")
        .values_list(
            "pk",
            "client_id",
            TruncDate("purchased_at"),
            Cast(F("total") - F("returned_total"), FloatField()),
        )
    )
    lines: dict[int, list[str]] = defaultdict(list)
    if bought:
        for purchase_id, description in (
            PurchaseLine.objects.filter(
                ids_q(ids, "purchase__client_id"), purchase__purchased_at__gte=since
            )
            .order_by("purchase_id", "pk")
            .values_list("purchase_id", "description")
        ):
            lines[purchase_id].append(description)
    purchases: dict[int, list[planner.PlanPurchase]] = defaultdict(list)
    for pk, client_id, day, amount in bought:
        purchases[client_id].append(planner.PlanPurchase(day, amount, tuple(lines.get(pk, ()))))

    visits: dict[int, list[date]] = defaultdict(list)
    for client_id, day in (
        Visit.objects.filter(among, visited_at__gte=since)
        .order_by("client_id", "visited_at")
        .values_list("client_id", TruncDate("visited_at"))
    ):
        visits[client_id].append(day)

    # Hand-made, sent, done, cancelled and overdue touchpoints whose window is not over: the
    # hand-made open ones are kept in the plan, and none of them is planned again (an overdue
    # one is still on Today; planning its occasion anew would put the client there twice).
    manual: dict[int, list[planner.PlanManual]] = defaultdict(list)
    handled: dict[int, list[planner.PlanHandled]] = defaultdict(list)
    for client_id, due_on, occasion, category, channel, status, is_manual, relative_id, \
            start, end in (
        Touchpoint.objects.filter(among, window_end__gte=today)
        .exclude(status=TouchpointStatus.PLANNED, is_manual=False, due_on__gte=today)
        .order_by("client_id", "due_on", "pk")
        .values_list("client_id", "due_on", "occasion", "category", "channel", "status",
                     "is_manual", "relative_id", "window_start", "window_end")
    ):  # fmt: skip
        if is_manual and status in _OPEN and due_on >= today:
            manual[client_id].append(
                planner.PlanManual(due_on, occasion, category, channel or None)
            )
        handled[client_id].append(planner.PlanHandled(occasion, relative_id, start, end))

    found: dict[int, planner.PlanClient] = {}
    owners: dict[int, Owner] = {}
    for pk, status, preferred, birthday, language, gender, first_name, store_id, owner_id, \
            contacted, blacklisted, merged_into in clients:  # fmt: skip
        if pk not in wanted:  # in the range, not asked for
            continue
        found[pk] = planner.PlanClient(
            id=pk,
            status=status,
            consented_channels=reachable(consents.get(pk, ()), addresses.get(pk, set())),
            preferred_channel=preferred or None,
            # a card merged into another is an empty shell: nothing is planned for it either
            is_blacklisted=blacklisted or merged_into is not None,
            birthday=birthday,
            language=language,
            gender=gender,
            first_name=first_name,
            relatives=tuple(relatives.get(pk, ())),
            key_dates=tuple(key_dates.get(pk, ())),
            purchases=tuple(purchases.get(pk, ())),
            visits=tuple(visits.get(pk, ())),
            last_contact=contacted,
            preferences=tuple(preferences.get(pk, ())),
            manual=tuple(manual.get(pk, ())),
            handled=tuple(handled.get(pk, ())),
        )
        owners[pk] = Owner(store_id, owner_id)
    return found, owners


# --- saving -------------------------------------------------------------------------------------


@dataclass(slots=True)
class PlanStats:
    """What a re-plan did: clients planned, touchpoints inserted, deleted and left as they were
    (and where the time went: loading, planning, saving)."""

    clients: int = 0
    inserted: int = 0
    deleted: int = 0
    kept: int = 0
    seconds: float = 0.0
    load_seconds: float = 0.0
    plan_seconds: float = 0.0
    save_seconds: float = 0.0

    def add(self, other: PlanStats) -> None:
        """Count another chunk's figures in (seconds too)."""
        self.clients += other.clients
        self.inserted += other.inserted
        self.deleted += other.deleted
        self.kept += other.kept
        self.seconds += other.seconds
        self.load_seconds += other.load_seconds
        self.plan_seconds += other.plan_seconds
        self.save_seconds += other.save_seconds

    def as_dict(self) -> dict[str, Any]:
        """The summary ``rapport replan --json`` prints."""
        rate = self.clients / self.seconds if self.seconds else 0.0
        return {
            "clients": self.clients,
            "inserted": self.inserted,
            "deleted": self.deleted,
            "kept": self.kept,
            "seconds": round(self.seconds, 2),
            "clients_per_s": round(rate, 1),
        }


def _jsonb_key(key: str) -> tuple[int, bytes]:
    encoded = key.encode()
    return len(encoded), encoded


_JSONB_ORDERS: dict[tuple[str, ...], list[str]] = {}


def _jsonb_ordered(value: Any) -> Any:
    """The value with object keys in PostgreSQL ``jsonb``'s order (shorter first, then bytes);
    the order of each key set is computed once."""
    if isinstance(value, dict):
        keys = tuple(value)
        order = _JSONB_ORDERS.get(keys)
        if order is None:
            order = _JSONB_ORDERS[keys] = sorted(keys, key=_jsonb_key)
        return {k: _jsonb_ordered(value[k]) for k in order}
    if isinstance(value, tuple | list) and any(isinstance(v, dict | tuple | list) for v in value):
        return [_jsonb_ordered(v) for v in value]
    return value


def _iso(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_AS_STORED = json.JSONEncoder(default=_iso).encode  # what Django's JSONField writes
_AS_JSONB = json.JSONEncoder(ensure_ascii=False, default=_iso).encode


def _json_texts() -> Callable[[Any], str]:
    """How the database gives a JSON column back as text: ``jsonb::text`` on PostgreSQL (keys
    reordered, non-ASCII as is), the stored text elsewhere. Rows are compared by this text, so
    a value that reads back differently (an exotic float) only costs a needless replacement,
    never a wrong keep."""
    if connection.vendor == "postgresql":
        return lambda value: _AS_JSONB(_jsonb_ordered(value))
    return _AS_STORED


# The columns that make two planned rows the same touchpoint (after the client, store and
# consultant; the JSON ones compared as text); a row equal on all of them is left alone.
_SAME = ("due_on", "window_start", "window_end", "occasion", "category", "channel", "is_fixed",
         "may_break_min_gap", "priority", "relative_id")  # fmt: skip


def plans_save(
    plans: Mapping[int, tuple[planner.Touchpoint, ...]], owners: Mapping[int, Owner], today: date
) -> PlanStats:
    """Store the plans of a chunk of clients as a diff against their future planned rows.

    Rows equal to a planned touchpoint stay untouched; the others are deleted and the missing
    ones inserted. A consultant's draft on a deleted row moves to the new touchpoint with the same
    occasion and relative whose window overlaps. Hand-made, past, waiting, done and cancelled
    touchpoints are never touched. Call inside a transaction that holds the clients' row locks.
    """
    stats = PlanStats(clients=len(plans))
    if not plans:
        return stats
    text, as_text = TextField(), _json_texts()
    stored: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    drafts: dict[int, list[tuple[int, str, int | None, date, date, str]]] = defaultdict(list)
    for pk, draft, *key in (
        Touchpoint.objects.filter(
            ids_q(list(plans)),
            status=TouchpointStatus.PLANNED,
            is_manual=False,
            due_on__gte=today,
        )
        .order_by("pk")
        .values_list(
            "pk",
            "draft",
            "client_id",
            "store_id",
            "assignee_id",
            *_SAME,
            Cast("merged_occasions", text),
            Cast("reason", text),
        )
    ):
        if key[0] not in plans:  # a client in the range that is not being re-planned
            continue
        stored[tuple(key)].append(pk)
        if draft:
            # key: client, store, assignee, due_on, window_start, window_end, occasion, …
            drafts[key[0]].append((pk, key[6], key[12], key[4], key[5], draft))

    new: list[tuple[int, Owner, planner.Touchpoint, str]] = []
    for client_id, plan in plans.items():
        owner = owners[client_id]
        for t in plan:
            if t.is_manual:  # hand-made touchpoints are rows already; the plan keeps them
                continue
            reason = as_text(t.reason_params)
            merged = as_text(list(t.merged_occasions)) if t.merged_occasions else "[]"
            candidates = stored.get((
                client_id, owner.store_id, owner.owner_id, t.date, t.window_start, t.window_end,
                t.occasion, t.category, t.channel or "", t.is_fixed, t.may_break_min_gap,
                t.priority, t.relative_id, merged, reason,
            ))  # fmt: skip
            if candidates:
                candidates.pop()
                stats.kept += 1
            else:
                new.append((client_id, owner, t, reason))
    gone = {pk for pks in stored.values() for pk in pks}
    if gone:
        stats.deleted = len(gone)
        Touchpoint.objects.filter(pk__in=sorted(gone)).delete()
    if new:
        _insert(new, {c: [d for d in ds if d[0] in gone] for c, ds in drafts.items()})
        stats.inserted = len(new)
    return stats


def _carried_draft(
    drafts: list[tuple[int, str, int | None, date, date, str]], point: planner.Touchpoint
) -> str:
    """The draft of a replaced row for the same occasion and relative with an overlapping window."""
    for entry in drafts:
        _, occasion, relative_id, start, end, text = entry
        if (
            occasion == point.occasion
            and relative_id == point.relative_id
            and start <= point.window_end
            and point.window_start <= end
        ):
            drafts.remove(entry)
            return text
    return ""


_INSERT_COLUMNS = ("client_id", "store_id", "assignee_id", "due_on", "window_start", "window_end",
                   "occasion", "category", "channel", "status", "is_fixed", "may_break_min_gap",
                   "is_manual", "priority", "relative_id", "merged_occasions", "reason", "draft",
                   "created_at")  # fmt: skip


def _insert(
    new: list[tuple[int, Owner, planner.Touchpoint, str]],
    drafts: dict[int, list[tuple[int, str, int | None, date, date, str]]],
) -> None:
    """Insert planned rows in bulk: ``COPY`` on PostgreSQL, ``executemany`` elsewhere."""
    now = timezone.now()
    postgres = connection.vendor == "postgresql"
    ops = connection.ops
    stamp: Any = now if postgres else ops.adapt_datetimefield_value(now)
    day = (lambda d: d) if postgres else ops.adapt_datefield_value
    rows = []
    planned = TouchpointStatus.PLANNED.value
    for client_id, owner, t, reason in new:
        client_drafts = drafts.get(client_id)
        rows.append((
            client_id, owner.store_id, owner.owner_id, day(t.date), day(t.window_start),
            day(t.window_end), t.occasion, t.category, t.channel or "", planned, t.is_fixed,
            t.may_break_min_gap, False, t.priority, t.relative_id,
            json.dumps(list(t.merged_occasions)), reason,
            _carried_draft(client_drafts, t) if client_drafts else "", stamp,
        ))  # fmt: skip
    meta = Touchpoint._meta
    table = ops.quote_name(meta.db_table)
    columns = ", ".join(ops.quote_name(c) for c in _INSERT_COLUMNS)  # attnames = column names
    with connection.cursor() as cursor:
        if postgres:
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(_INSERT_COLUMNS))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def replan_chunk(
    client_ids: Sequence[int],
    today: date,
    standards: dict[int, planner.Standard] | None = None,
) -> PlanStats:
    """Load, plan and save a chunk of clients (call inside a transaction); ``standards`` is a
    cache by store id, filled as stores are met."""
    started = clock.perf_counter()
    inputs, owners = _load(client_ids, today)
    standards = {} if standards is None else standards
    missing = {o.store_id for o in owners.values()} - set(standards)
    if missing:
        standards.update(standards_for(missing))
    loaded = clock.perf_counter()
    plans = {
        pk: planner.build_plan(client, standards[owners[pk].store_id], today)
        for pk, client in inputs.items()
    }
    planned = clock.perf_counter()
    stats = plans_save(plans, owners, today)
    done = clock.perf_counter()
    stats.seconds = done - started
    stats.load_seconds, stats.plan_seconds = loaded - started, planned - loaded
    stats.save_seconds = done - planned
    return stats
