"""Loading clients into the planner and saving what it plans (used by the services and jobs).

The planner (:mod:`rapport.core.planner`) is pure; this module is the only place that turns rows
into its input and its output back into rows. Clients are loaded in chunks with a fixed number of
queries (plain SQL or ``values_list``, no model instances), and a plan is saved as a diff against
the stored future planned rows, so a re-plan that changes nothing writes nothing. Each client's
last saved plan has a digest (:class:`~rapport.outreach.models.PlanDigest`): a full re-plan
leaves a plan that hashes the same alone without reading its rows back.
"""

from __future__ import annotations

import gc
import itertools
import json
import marshal
import time as clock
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from hashlib import blake2b
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import (
    SET_NULL,
    BooleanField,
    CharField,
    DateField,
    F,
    FloatField,
    Model,
    OuterRef,
    Subquery,
    TextField,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.fields.reverse_related import ForeignObjectRel
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from rapport.accounts.models import Store
from rapport.base.queries import among as ids_q
from rapport.clients.choices import Channel, ConsentStatus, ContactKind
from rapport.clients.models import Client, Consent, ContactPoint, KeyDate, Preference, Relative
from rapport.core import planner
from rapport.core.planner import new_plan_client, new_plan_purchase
from rapport.outreach.choices import TouchpointStatus
from rapport.outreach.models import Contact, PlanDigest, Standard, Touchpoint

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
    kinds = set(address_kinds)
    return frozenset(c for c in consented if not kinds.isdisjoint(_NEEDS.get(c, ())))


HISTORY_DAYS = 3 * 365
_ONE_DAY = timedelta(days=1)
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


@dataclass(frozen=True, slots=True)
class StoredDigest:
    """The digest of the plan a client's rows hold, the day it was saved on and the first day
    it may change."""

    digest: int
    planned_on: date
    stable_until: date


class Loaded(NamedTuple):
    """A chunk of clients as loaded: the planner's input, where their touchpoints go, the
    digests of the plans their rows hold (clients without one are missing), and the first day
    the loader itself would read a client differently (a dated row coming into or leaving what
    it reads; clients with none are missing)."""

    inputs: dict[int, planner.PlanClient]
    owners: dict[int, Owner]
    digests: dict[int, StoredDigest]
    loads_until: dict[int, date]


def plan_input_for(client: Client, *, today: date) -> planner.PlanClient:
    """Everything the planner needs about one client (the chunk loader with one id)."""
    return plan_inputs_for([client.pk], today)[client.pk]


def plan_inputs_for(client_ids: Sequence[int], today: date) -> dict[int, planner.PlanClient]:
    """The planner's input for a chunk of clients (up to a few thousand) in a fixed number of
    queries."""
    return _load(client_ids, today).inputs


# A client as the loaders read it: pk, status, preferred channel, birthday, language, gender,
# first name, store, owner, blacklisted, merged into, the days of the last contact, of the last
# visit up to the plan's day and of the first one after it, address kinds, granted consents,
# preferences (the card's order), and the stored plan's digest, day and stable-until day.
_ClientRow = tuple[
    int, str, str, date | None, str, str, str, int, int | None, bool, int | None, date | None,
    date | None, date | None, list[str], list[str], list[str], int | None, date | None,
    date | None,
]  # fmt: skip
_PREFERRED_KINDS = ("brand", "category")


def _load(client_ids: Sequence[int], today: date) -> Loaded:
    """Clients and what the planner needs of their history in a fixed number of queries: the
    clients (with their last contact and visit, addresses, consents, preferences and the
    stored plan's digest), purchases, the receipt lines a plan may mention, relatives, key
    dates, and the touchpoints that were sent, done, cancelled or placed by hand.

    Only what can change a plan is read: the last visit up to ``today`` (the planner looks at
    no other) and the lines of the purchases :func:`planner.items_needed` names. PostgreSQL
    reads the clients and purchases with plain SQL (arrays, no ORM rows); elsewhere the ORM.
    """
    ids = list(client_ids)
    if not ids:
        return Loaded({}, {}, {}, {})
    tz = timezone.get_current_timezone()
    since = datetime.combine(today - timedelta(days=HISTORY_DAYS), time.min, tzinfo=tz)
    until = datetime.combine(today + timedelta(days=1), time.min, tzinfo=tz)
    if connection.vendor == "postgresql":
        clients, bought = _postgresql_clients(ids, since, until), _postgresql_purchases(ids, since)
    else:
        clients, bought = _orm_clients(ids, since, until), _orm_purchases(ids, since)

    purchases: dict[int, list[tuple[int, int, date, float]]] = defaultdict(list)
    for row in bought:  # (client, purchase, day, amount)
        purchases[row[0]].append(row)
    described: list[int] = []
    for rows in purchases.values():
        needed = planner.items_needed([row[2] for row in rows], today)
        described.extend([row[1] for row, wants in zip(rows, needed, strict=True) if wants])
    lines = _lines(described)
    among = ids_q(ids)

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

    # Hand-made, sent, done, cancelled and overdue touchpoints whose window is not long over:
    # the hand-made open ones are kept in the plan, and none of them is planned again (an
    # overdue one is still on Today; planning its occasion anew would put the client there
    # twice). The latest overdue one (its day passed, still planned: all of them are read
    # here) is where the spacing goes on from.
    manual: dict[int, list[planner.PlanManual]] = defaultdict(list)
    handled: dict[int, list[planner.PlanHandled]] = defaultdict(list)
    overdue: dict[int, date] = {}
    planned = TouchpointStatus.PLANNED.value
    for client_id, due_on, occasion, category, channel, status, is_manual, relative_id, \
            start, end, folded in (
        Touchpoint.objects.filter(
            among, window_end__gte=today - timedelta(days=planner.HANDLED_KEPT_DAYS)
        )
        .exclude(status=TouchpointStatus.PLANNED, is_manual=False, due_on__gte=today)
        .order_by("client_id", "due_on", "pk")
        .values_list("client_id", "due_on", "occasion", "category", "channel", "status",
                     "is_manual", "relative_id", "window_start", "window_end",
                     "reason__folded")
    ):  # fmt: skip
        if is_manual and status in _OPEN and due_on >= today:
            manual[client_id].append(
                planner.PlanManual(due_on, occasion, category, channel or None)
            )
        elif status == planned and due_on < today:
            overdue[client_id] = due_on  # in date order: the last one wins
        handled[client_id].append(
            planner.PlanHandled(
                occasion,
                relative_id,
                start,
                end,
                due_on,
                planner.folded_of(folded),
            )
        )

    wanted = set(ids)
    loaded = Loaded({}, {}, {}, {})
    no_purchases: list[tuple[int, int, date, float]] = []
    history = timedelta(days=HISTORY_DAYS + 1)
    for pk, status, preferred, birthday, language, gender, first_name, store_id, owner_id, \
            blacklisted, merged_into, contacted, visited, next_visit, kinds, consented, liked, \
            digest, digest_on, stable_until in clients:  # fmt: skip
        if pk not in wanted:  # in the range, not asked for
            continue
        # What the loader reads changes on its own: the oldest purchase or the last visit falls
        # out of the history read, and the day after the next visit the one after it (if any)
        # comes into view. (A handled touchpoint leaving, 60 days after its window, changes only
        # what it covered: the planner names that day.)
        bought_days = purchases.get(pk)
        limits = [
            *((bought_days[0][2] + history,) if bought_days else ()),
            *((visited + history,) if visited else ()),
            *((next_visit + _ONE_DAY,) if next_visit else ()),
        ]
        if limits:
            loaded.loads_until[pk] = min(limits)
        loaded.inputs[pk] = new_plan_client(
            id=pk,
            status=status,
            consented_channels=reachable(consented, kinds),
            preferred_channel=preferred or None,
            # a card merged into another is an empty shell: nothing is planned for it either
            is_blacklisted=blacklisted or merged_into is not None,
            is_erased=False,
            birthday=birthday,
            language=language,
            gender=gender,
            first_name=first_name,
            relatives=tuple(relatives.get(pk, ())),
            key_dates=tuple(key_dates.get(pk, ())),
            purchases=tuple(
                [
                    new_plan_purchase(day, amount, lines.get(purchase_id, ()))
                    for _, purchase_id, day, amount in purchases.get(pk, no_purchases)
                ]
            ),
            visits=tuple(v for v in (visited, next_visit) if v),
            last_contact=contacted,
            last_overdue=overdue.get(pk),
            typical_interval_days=None,
            preferences=tuple(liked),
            events=(),
            manual=tuple(manual.get(pk, ())),
            handled=tuple(handled.get(pk, ())),
        )
        loaded.owners[pk] = Owner(store_id, owner_id)
        if digest is not None and digest_on is not None and stable_until is not None:
            loaded.digests[pk] = StoredDigest(digest, digest_on, stable_until)
    return loaded


def _chunk_sql(column: str, ids: list[int]) -> tuple[str, list[Any]]:
    """:func:`rapport.base.queries.among` in SQL: a range for a nearly contiguous chunk (the
    caller skips the rows of ids it did not ask for), else :func:`_ids_sql`."""
    low, high = min(ids), max(ids)
    if high - low < 2 * len(ids):
        return f"{column} BETWEEN %s AND %s", [low, high]
    return _ids_sql(column, ids)


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _postgresql_clients(ids: list[int], since: datetime, until: datetime) -> list[_ClientRow]:
    """The clients of a chunk in one query, their addresses, consents and preferences as
    arrays and their last contact and visit as days (in the current time zone, as ``TruncDate``
    gives them). Each table is read once for the chunk and grouped by client, which costs the
    server less than a look-up per client."""
    from rapport.sales.models import Visit

    tzname = timezone.get_current_timezone_name()
    contact_day, contact_params = connection.ops.datetime_cast_date_sql("t.at", (), tzname)
    visit_day, visit_params = connection.ops.datetime_cast_date_sql("v.at", (), tzname)
    next_day, next_params = connection.ops.datetime_cast_date_sql("v.next", (), tzname)
    chunk, chunk_params = _chunk_sql("client_id", ids)
    where, where_params = _chunk_sql("c.id", ids)
    sql = f"""
        SELECT c.id, c.status, c.preferred_channel, c.birthday, c.language, c.gender,
               c.first_name, c.store_id, c.owner_id, c.is_blacklisted, c.merged_into_id,
               {contact_day}, {visit_day}, {next_day}, coalesce(a.kinds, '{{}}'),
               coalesce(g.channels, '{{}}'), coalesce(p.preferences, '{{}}'),
               d.digest, d.planned_on, d.stable_until
        FROM {_table(Client)} c
        LEFT JOIN (SELECT client_id, max(at) AS at FROM {_table(Contact)} WHERE {chunk}
                   GROUP BY client_id) t ON t.client_id = c.id
        LEFT JOIN (SELECT client_id, max(visited_at) FILTER (WHERE visited_at < %s) AS at,
                          min(visited_at) FILTER (WHERE visited_at >= %s) AS next
                   FROM {_table(Visit)} WHERE {chunk} AND visited_at >= %s
                   GROUP BY client_id) v ON v.client_id = c.id
        LEFT JOIN (SELECT client_id, array_agg(kind) AS kinds FROM {_table(ContactPoint)}
                   WHERE {chunk} GROUP BY client_id) a ON a.client_id = c.id
        LEFT JOIN (SELECT client_id, array_agg(channel) AS channels FROM {_table(Consent)}
                   WHERE {chunk} AND status = %s GROUP BY client_id) g ON g.client_id = c.id
        LEFT JOIN (SELECT client_id, array_agg(value ORDER BY kind COLLATE "C", id)
                          AS preferences
                   FROM {_table(Preference)} WHERE {chunk} AND kind IN (%s, %s)
                   GROUP BY client_id) p ON p.client_id = c.id
        LEFT JOIN {_table(PlanDigest)} d ON d.client_id = c.id
        WHERE {where}
    """
    params = [*contact_params, *visit_params, *next_params, *chunk_params, until, until,
              *chunk_params, since, *chunk_params, *chunk_params, ConsentStatus.GRANTED.value,
              *chunk_params, *_PREFERRED_KINDS, *where_params]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _postgresql_purchases(ids: list[int], since: datetime) -> list[tuple[int, int, date, float]]:
    """(client, purchase, day, amount net of returns) since ``since``, in the client's order."""
    from rapport.sales.models import Purchase

    day, day_params = connection.ops.datetime_cast_date_sql(
        "p.purchased_at", (), timezone.get_current_timezone_name()
    )
    where, where_params = _chunk_sql("p.client_id", ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.client_id, p.id, {day}, (p.total - p.returned_total)::float8 "
            f"FROM {_table(Purchase)} p WHERE {where} AND p.purchased_at >= %s "
            "ORDER BY p.client_id, p.purchased_at, p.id",
            [*day_params, *where_params, since],
        )
        return cursor.fetchall()


def _orm_clients(ids: list[int], since: datetime, until: datetime) -> list[_ClientRow]:
    """:func:`_postgresql_clients` through the ORM: the clients with their last contact and
    visit, one UNION of addresses, consents and preferences, and the digests."""
    from rapport.sales.models import Visit

    among = ids_q(ids)
    last_contact = (
        Contact.objects.filter(client=OuterRef("pk"))
        .order_by("-at")
        .values(day=TruncDate("at"))[:1]
    )
    last_visit = (
        Visit.objects.filter(client=OuterRef("pk"), visited_at__gte=since, visited_at__lt=until)
        .order_by("-visited_at")
        .values(day=TruncDate("visited_at"))[:1]
    )
    next_visit = (
        Visit.objects.filter(client=OuterRef("pk"), visited_at__gte=until)
        .order_by("visited_at")
        .values(day=TruncDate("visited_at"))[:1]
    )
    rows = list(
        Client.objects.filter(ids_q(ids, "pk"))
        .order_by()
        .annotate(
            last_contact=Subquery(last_contact, output_field=DateField()),
            last_visit=Subquery(last_visit, output_field=DateField()),
            next_visit=Subquery(next_visit, output_field=DateField()),
        )
        .values_list("pk", "status", "preferred_channel", "birthday", "language", "gender",
                     "first_name", "store_id", "owner_id", "is_blacklisted", "merged_into_id",
                     "last_contact", "last_visit", "next_visit")
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
            Preference.objects.filter(among, kind__in=_PREFERRED_KINDS)
            .order_by()
            .values_list("client_id", Value("p", output_field=tag), "value", "kind", "pk"),
            all=True,
        )
        .order_by()
    )
    kinds: dict[int, list[str]] = defaultdict(list)
    consents: dict[int, list[str]] = defaultdict(list)
    liked: list[tuple[int, str, int, str]] = []
    for client_id, what, value, kind, pk in facts:
        if what == "a":
            kinds[client_id].append(value)
        elif what == "c":
            consents[client_id].append(value)
        else:
            liked.append((client_id, kind, pk, value))
    preferences: dict[int, list[str]] = defaultdict(list)
    for client_id, _, _, value in sorted(liked):  # the card's order: kind, then pk
        preferences[client_id].append(value)
    digests = {
        client_id: (digest, on, until)
        for client_id, digest, on, until in PlanDigest.objects.filter(among).values_list(
            "client_id", "digest", "planned_on", "stable_until"
        )
    }
    return [
        (*row, kinds.get(row[0], []), consents.get(row[0], []), preferences.get(row[0], []),
         *digests.get(row[0], (None, None, None)))
        for row in rows
    ]  # fmt: skip


def _orm_purchases(ids: list[int], since: datetime) -> list[tuple[int, int, date, float]]:
    """:func:`_postgresql_purchases` through the ORM."""
    from rapport.sales.models import Purchase

    return list(
        Purchase.objects.filter(ids_q(ids), purchased_at__gte=since)
        .order_by("client_id", "purchased_at", "pk")
        .values_list(
            "client_id",
            "pk",
            TruncDate("purchased_at"),
            Cast(F("total") - F("returned_total"), FloatField()),
        )
    )


LINES_BATCH = 5_000  # purchase ids per SQL IN (…) list on SQLite


def _lines(purchase_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """The line descriptions of some purchases, in receipt order: one array parameter on
    PostgreSQL, batches of ids elsewhere (SQLite limits a statement's parameters)."""
    from rapport.sales.models import PurchaseLine

    if not purchase_ids:
        return {}
    if connection.vendor == "postgresql":
        where, params = _ids_sql("purchase_id", purchase_ids)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT purchase_id, description FROM {_table(PurchaseLine)} "
                f"WHERE {where} ORDER BY purchase_id, id",
                params,
            )
            rows: Iterable[tuple[int, str]] = cursor.fetchall()
    else:
        rows = itertools.chain.from_iterable(
            PurchaseLine.objects.filter(purchase_id__in=batch)
            .order_by("purchase_id", "pk")
            .values_list("purchase_id", "description")
            for batch in itertools.batched(purchase_ids, LINES_BATCH)
        )
    lines: dict[int, list[str]] = defaultdict(list)
    for purchase_id, description in rows:
        lines[purchase_id].append(description)
    return {pk: tuple(descriptions) for pk, descriptions in lines.items()}


# --- saving -------------------------------------------------------------------------------------


@dataclass(slots=True)
class PlanStats:
    """What a re-plan did: clients planned, touchpoints inserted, deleted and left as they were,
    clients whose plan was unchanged (rows not even read), and where the time went (wall and
    process CPU seconds loading, planning, saving)."""

    clients: int = 0
    inserted: int = 0
    deleted: int = 0
    kept: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    load_seconds: float = 0.0
    plan_seconds: float = 0.0
    save_seconds: float = 0.0
    load_cpu: float = 0.0
    plan_cpu: float = 0.0
    save_cpu: float = 0.0

    def add(self, other: PlanStats) -> None:
        """Count another chunk's figures in (seconds too)."""
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

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


def plan_digest(plan: Sequence[planner.Touchpoint], owner: Owner) -> int:
    """A 64-bit fingerprint of what saving ``plan`` stores: the columns :data:`_SAME` compares
    of its planned (not hand-made) touchpoints, JSON ones included, and the store and consultant.

    ``marshal`` writes the values in C; version 2 has no back-references, so equal values in the
    same order always give the same bytes. Whatever it cannot write falls back to ``repr``
    (tagged: the two never collide). Unequal bytes for an equal plan only cost reading its rows.
    """
    fields: list[Any] = [owner.store_id, owner.owner_id]
    for t in plan:
        if not t.is_manual:
            fields.append((
                t.date.toordinal(), t.window_start.toordinal(), t.window_end.toordinal(),
                t.occasion, t.category, t.channel, t.is_fixed, t.may_break_min_gap, t.priority,
                t.relative_id, t.merged_occasions, t.reason_params,
            ))  # fmt: skip
    try:
        data = marshal.dumps(fields, 2)
    except ValueError:
        data = b"repr:" + repr(fields).encode()
    return int.from_bytes(blake2b(data, digest_size=8).digest(), "big", signed=True)


def _jsonb_key(key: str) -> tuple[int, bytes]:
    encoded = key.encode()
    return len(encoded), encoded


# Per key set (as a dict lists them): its keys in ``jsonb`` order, or None if already so.
_JSONB_ORDERS: dict[tuple[str, ...], list[str] | None] = {}
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _jsonb_ordered(value: Any) -> Any:
    """The value with object keys in PostgreSQL ``jsonb``'s order (shorter first, then bytes).
    The order of each key set is computed once, and a value already in that order with no
    objects inside (most reasons) is returned as it is, not copied."""
    kind = type(value)
    if kind is not dict:
        if (kind is tuple or kind is list) and not _flat(value):
            return [_jsonb_ordered(v) for v in value]
        return value
    keys = tuple(value)
    if keys not in _JSONB_ORDERS:
        by_jsonb = sorted(keys, key=_jsonb_key)
        _JSONB_ORDERS[keys] = None if by_jsonb == list(keys) else by_jsonb
    order = _JSONB_ORDERS[keys]
    for v in value.values():
        if type(v) not in _SCALARS and not _flat(v):
            return {k: _jsonb_ordered(value[k]) for k in order or keys}
    return value if order is None else {k: value[k] for k in order}


def _flat(value: Any) -> bool:
    """Whether a JSON value holds no object: a scalar, or an array of scalars."""
    kind = type(value)
    if kind in _SCALARS:
        return True
    return (kind is tuple or kind is list) and all(type(v) in _SCALARS for v in value)


def _iso(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _json_encoder(*, ensure_ascii: bool) -> Callable[[Any], str]:
    """``json.dumps`` (default separators, dates as ISO text) without its set-up on every call:
    the C encoder is made once, which takes a reason's text from about 5 to 2 µs. Falls back to
    ``JSONEncoder.encode`` where the C encoder is missing or does not write the same text."""
    encode = json.JSONEncoder(ensure_ascii=ensure_ascii, default=_iso).encode
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return encode
    strings = (
        json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
    )
    try:
        chunks = make(None, _iso, strings, None, ": ", ", ", False, False, True)
        sample = {"é": [1, 1.5, "ё\n", None, True, {"b": date(2026, 1, 2)}], "a": ()}
        if "".join(chunks(sample, 0)) != encode(sample):
            return encode
    except (TypeError, ValueError):  # another signature: this Python's C encoder differs
        return encode
    return lambda value: "".join(chunks(value, 0))


_AS_STORED = _json_encoder(ensure_ascii=True)  # what Django's JSONField writes
_AS_JSONB = _json_encoder(ensure_ascii=False)


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
    plans: Mapping[int, tuple[planner.Touchpoint, ...]],
    owners: Mapping[int, Owner],
    today: date,
    digests: Mapping[int, StoredDigest],
    stable: Mapping[int, date],
    *,
    trust: bool = True,
) -> PlanStats:
    """Store the plans of a chunk of clients as a diff against their future planned rows, and
    with each plan its digest and the first day it may change (``stable``).

    A client whose stored digest (``digests``, as loaded) equals the new plan's is left alone,
    unread, when ``trust`` is set: its rows are that plan (a digest saved on a later day than
    ``today`` is not trusted: rows it never compared may lie before it). The other clients'
    rows are read: rows equal to a planned touchpoint stay untouched; the others are deleted and
    the missing ones inserted. A consultant's draft on a deleted row moves to the new touchpoint
    with the same occasion and relative whose window overlaps. Hand-made, past, waiting, done
    and cancelled touchpoints are never touched. Then the digests are written where they
    changed. Call inside a transaction that holds the clients' row locks.
    """
    stats = PlanStats(clients=len(plans))
    if not plans:
        return stats
    fresh = {pk: plan_digest(plan, owners[pk]) for pk, plan in plans.items()}
    compared: dict[int, tuple[planner.Touchpoint, ...]] = {}
    for pk, plan in plans.items():
        stored = digests.get(pk)
        if trust and stored is not None and stored.digest == fresh[pk] \
                and stored.planned_on <= today:  # fmt: skip
            stats.unchanged += 1
            stats.kept += sum(not t.is_manual for t in plan)
        else:
            compared[pk] = plan
    touched = _diff(compared, owners, today, stats) if compared else set()
    _digests_write([
        (pk, fresh[pk], today, stable[pk])
        for pk in plans
        if pk in touched
        or (stored := digests.get(pk)) is None
        or stored.digest != fresh[pk]
        or stored.planned_on > today
        or stored.stable_until != stable[pk]
    ])  # fmt: skip
    return stats


def _diff(
    plans: Mapping[int, tuple[planner.Touchpoint, ...]],
    owners: Mapping[int, Owner],
    today: date,
    stats: PlanStats,
) -> set[int]:
    """The diff of :func:`plans_save` for these clients; the clients whose rows changed."""
    text, as_text = TextField(), _json_texts()
    stored: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    drafts: dict[int, list[tuple[int, str, int | None, date, date, str]]] = defaultdict(list)
    for pk, draft, *key in (
        Touchpoint.objects.filter(
            among_ids("client_id", list(plans)),
            status=TouchpointStatus.PLANNED,
            is_manual=False,
            due_on__gte=today,
        )
        .order_by("pk")
        .values_list(
            "pk", "draft", "client_id", "store_id", "assignee_id", *_SAME,
            Cast("merged_occasions", text), Cast("reason", text),
        )
    ):  # fmt: skip
        stored[tuple(key)].append(pk)
        if draft:
            # key: client, store, assignee, due_on, window_start, window_end, occasion, …
            drafts[key[0]].append((pk, key[6], key[12], key[4], key[5], draft))
    with_rows = {key[0] for key in stored}

    new: list[tuple[int, Owner, planner.Touchpoint]] = []
    for client_id, plan in plans.items():
        owner = owners[client_id]
        if client_id not in with_rows:  # nothing to compare with: every touchpoint is new
            new.extend((client_id, owner, t) for t in plan if not t.is_manual)
            continue
        for t in plan:
            if t.is_manual:  # hand-made touchpoints are rows already; the plan keeps them
                continue
            merged = as_text(t.merged_occasions) if t.merged_occasions else "[]"
            candidates = stored.get((
                client_id, owner.store_id, owner.owner_id, t.date, t.window_start, t.window_end,
                t.occasion, t.category, t.channel or "", t.is_fixed, t.may_break_min_gap,
                t.priority, t.relative_id, merged, as_text(t.reason_params),
            ))  # fmt: skip
            if candidates:
                candidates.pop()
                stats.kept += 1
            else:
                new.append((client_id, owner, t))
    gone = {pk: key[0] for key, pks in stored.items() for pk in pks}
    if gone:
        stats.deleted += len(gone)
        _touchpoints_delete(sorted(gone))
    if new:
        _insert(new, {c: [d for d in ds if d[0] in gone] for c, ds in drafts.items()})
        stats.inserted += len(new)
    return set(gone.values()) | {client_id for client_id, *_ in new}


def _array(values: Iterable[int | date]) -> str:
    """A PostgreSQL array literal of integers or dates, for one ``%s::…[]`` parameter: binding
    thousands of values one by one costs the client more than the server's query."""
    return "{" + ",".join(map(str, values)) + "}"


def _ids_sql(column: str, ids: list[int]) -> tuple[str, list[Any]]:
    """``column IN ids`` as SQL: one array parameter on PostgreSQL, a list elsewhere."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])", [_array(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def among_ids(column: str, ids: list[int]) -> RawSQL:
    """A filter condition ``column IN ids``, with one parameter on PostgreSQL (see
    :func:`_ids_sql`): ``column`` of the queried table, in a query without joins."""
    sql, params = _ids_sql(connection.ops.quote_name(column), ids)
    return RawSQL(sql, params, output_field=BooleanField())


def _touchpoints_delete(pks: list[int]) -> None:
    """Delete planned rows as ``QuerySet.delete()`` would (whatever points at one keeps its
    history, unlinked: every such relation is ``SET_NULL``) without loading them as models
    first: one UPDATE per relation, one DELETE."""
    relations = [
        field
        for field in Touchpoint._meta.get_fields(include_hidden=True)
        if isinstance(field, ForeignObjectRel) and (field.one_to_many or field.one_to_one)
    ]  # what Django's collector looks at, hidden (``related_name="+"``) ones included
    if any(relation.on_delete is not SET_NULL for relation in relations):
        Touchpoint.objects.filter(pk__in=pks).delete()  # a new kind of relation: let Django
        return
    for relation in relations:
        link = relation.field
        assert link.column is not None  # set once the field belongs to its model
        link.model._base_manager.filter(among_ids(link.column, pks)).update(**{link.name: None})
    where, params = _ids_sql("id", pks)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table(Touchpoint)} WHERE {where}", params)


def _digests_write(rows: list[tuple[int, int, date, date]]) -> None:
    """Insert or replace the digests of the plans just saved (one statement on PostgreSQL)."""
    if not rows:
        return
    table = _table(PlanDigest)
    upsert = (
        "ON CONFLICT (client_id) DO UPDATE SET digest = excluded.digest, "
        "planned_on = excluded.planned_on, stable_until = excluded.stable_until"
    )
    columns = "client_id, digest, planned_on, stable_until"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "
                f"SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::date[], %s::date[]) "
                f"{upsert}",
                [_array(column) for column in zip(*rows, strict=True)],
            )
        else:
            day = connection.ops.adapt_datefield_value
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s) {upsert}",
                [(pk, digest, day(on), day(until)) for pk, digest, on, until in rows],
            )


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
    new: list[tuple[int, Owner, planner.Touchpoint]],
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
    for client_id, owner, t in new:
        client_drafts = drafts.get(client_id)
        rows.append((
            client_id, owner.store_id, owner.owner_id, day(t.date), day(t.window_start),
            day(t.window_end), t.occasion, t.category, t.channel or "", planned, t.is_fixed,
            t.may_break_min_gap, False, t.priority, t.relative_id,
            _AS_STORED(t.merged_occasions), _AS_STORED(t.reason_params),
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


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a chunk is loaded, planned and saved: a
    chunk allocates hundreds of thousands of small objects (rows, inputs, touchpoints), none of
    them in a cycle, and the automatic collections they set off walk all live objects, which
    took a fifth of a full re-plan's CPU. Whatever the chunk left in cycles is collected after
    it, in the youngest generation only (where all of it is)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.collect(0)
            gc.enable()


def replan_chunk(
    client_ids: Sequence[int],
    today: date,
    standards: dict[int, planner.Standard] | None = None,
    *,
    trust_digests: bool = True,
) -> PlanStats:
    """Load, plan and save a chunk of clients (call inside a transaction); ``standards`` is a
    cache by store id, filled as stores are met. ``trust_digests=False`` compares every client's
    rows even where the stored digest says the plan is unchanged."""
    with _collector_paused():  # collects once the chunk's objects are gone, after _replan
        return _replan(client_ids, today, {} if standards is None else standards, trust_digests)


def _replan(
    client_ids: Sequence[int],
    today: date,
    standards: dict[int, planner.Standard],
    trust_digests: bool,
) -> PlanStats:
    started, started_cpu = clock.perf_counter(), clock.process_time()
    inputs, owners, digests, loads_until = _load(client_ids, today)
    missing = {o.store_id for o in owners.values()} - set(standards)
    if missing:
        standards.update(standards_for(missing))
    loaded, loaded_cpu = clock.perf_counter(), clock.process_time()
    plans: dict[int, tuple[planner.Touchpoint, ...]] = {}
    stable: dict[int, date] = {}
    never = date.max
    for pk, client in inputs.items():
        plans[pk], until = planner.plan_stored(client, standards[owners[pk].store_id], today)
        stable[pk] = min(until, loads_until.get(pk, never))  # and the loader's own limits
    planned, planned_cpu = clock.perf_counter(), clock.process_time()
    stats = plans_save(plans, owners, today, digests, stable, trust=trust_digests)
    done, done_cpu = clock.perf_counter(), clock.process_time()
    stats.seconds = done - started
    stats.load_seconds, stats.plan_seconds = loaded - started, planned - loaded
    stats.save_seconds = done - planned
    stats.load_cpu, stats.plan_cpu = loaded_cpu - started_cpu, planned_cpu - loaded_cpu
    stats.save_cpu = done_cpu - planned_cpu
    return stats
