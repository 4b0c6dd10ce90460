"""``rapport demo``: a ready-to-try Rapport with two stores, a team and 2,000 clients with history.

The first run migrates the configured database, creates the stores and the team through the
account services, then loads the catalogue and the generated clients in bulk (a service call per
client would take minutes), writing the same rows the services would write: search keys,
normalised contacts, purchase summaries and timeline entries. Later runs only print the logins and
serve. ``--reset`` empties the database first.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, transaction
from django.utils import timezone, translation
from tqdm import tqdm

from rapport.accounts.choices import Role
from rapport.accounts.models import Membership, Store, User
from rapport.accounts.services import membership_set, store_create, user_create
from rapport.clients.choices import ClientStatus, ConsentSource, ConsentStatus, TimelineKind
from rapport.clients.models import (
    Client,
    Consent,
    ContactPoint,
    KeyDate,
    Preference,
    Relative,
    TimelineEvent,
)
from rapport.clients.services import client_create, duplicate_candidates_refresh
from rapport.core.generator import GenClient, generate_clients, product_catalogue
from rapport.core.normalize import name_skeleton, phone_suffix_key
from rapport.core.scores import Thresholds
from rapport.insights.services import scores_refresh
from rapport.outreach.choices import Outcome, TouchpointStatus
from rapport.outreach.models import Contact, Touchpoint
from rapport.outreach.selectors import Drafter
from rapport.outreach.services import plans_rebuild
from rapport.sales.models import Product, Purchase, PurchaseLine, Visit

SEED = 2025
BATCH = 2000
DORMANT_OVERDUE_RATIO = 2.0
HISTORY_DAYS = 60  # the team has worked its plans for this long before today

STORES = (
    ("Rapport — Тверская", "Москва", "TV"),
    ("Rapport — Невский", "Санкт-Петербург", "NV"),
)
# (username, first name, last name, role, store index or None for the owner/admin, language)
TEAM = (
    ("admin", "Борис", "Громов", "admin", None, "ru"),
    ("marina", "Марина", "Соколова", Role.MANAGER, 0, "ru"),
    ("olga", "Ольга", "Кузнецова", Role.CONSULTANT, 0, "ru"),
    ("irina", "Ирина", "Белова", Role.CONSULTANT, 0, "ru"),
    ("denis", "Денис", "Орлов", Role.CONSULTANT, 0, "ru"),
    ("pavel", "Павел", "Лебедев", Role.MANAGER, 1, "ru"),
    ("svetlana", "Светлана", "Морозова", Role.CONSULTANT, 1, "ru"),
    ("anna", "Анна", "Волкова", Role.CONSULTANT, 1, "ru"),
    ("kate", "Екатерина", "Смит", Role.CONSULTANT, 1, "en"),
)


def demo_password(username: str) -> str:
    """The demo's simple password for a login: not for production use."""
    return f"{username}-demo"


class Command(BaseCommand):
    help = "Create a demo company (two stores, a team, clients with history) and serve it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--setup-only", action="store_true", help="Create the data, do not serve."
        )
        parser.add_argument(
            "--clients", type=int, default=2000, help="How many clients (default 2000)."
        )
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--reset", action="store_true", help="Empty the database first.")
        parser.add_argument(
            "--seed", type=int, default=SEED, help=f"Generator seed (default {SEED})."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["reset"]:
            call_command("migrate", interactive=False, verbosity=0)
            call_command("flush", interactive=False, verbosity=0)
        if not _has_stores():
            self.stdout.write("Preparing the database…")
            call_command("migrate", interactive=False, verbosity=0)
            demo_setup(clients=options["clients"], seed=options["seed"], progress=True)
        self.stdout.write(logins_table())
        if not options["setup_only"]:
            call_command("serve", host=options["host"], port=options["port"])


def _has_stores() -> bool:
    try:
        return Store.objects.exists()
    except DatabaseError:  # no tables yet
        return False


def logins_table() -> str:
    """The demo's logins, roles and stores, as a plain-text table (in English, like the CLI)."""
    with translation.override("en"):
        return _logins_table()


def _logins_table() -> str:
    rows = [("login", "password", "role", "store")]
    for username, *_rest in TEAM:
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        if user.is_company_admin:
            rows.append((username, demo_password(username), "owner / admin", "all stores"))
        for membership in Membership.objects.filter(user=user).select_related("store"):
            rows.append(
                (
                    username,
                    demo_password(username),
                    str(membership.get_role_display()),
                    membership.store.name,
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(["", *lines, ""])


def demo_setup(
    *, clients: int, seed: int = SEED, progress: bool = False, today: date | None = None
) -> None:
    """Create the stores, the team, the catalogue and ``clients`` clients with their history."""
    today = today or timezone.localdate()
    stores = [
        store_create(name=name, city=city, country="RU", currency="RUB") for name, city, _ in STORES
    ]
    consultants: dict[int, list[User]] = {0: [], 1: []}
    for username, first, last, role, store_index, language in TEAM:
        user = user_create(
            username=username,
            password=demo_password(username),
            first_name=first,
            last_name=last,
            is_company_admin=role == "admin",
            language=language,
        )
        if store_index is not None:
            membership_set(user=user, store=stores[store_index], role=role)
            if role == Role.CONSULTANT:
                consultants[store_index].append(user)
    products = {
        p.sku: p
        for p in Product.objects.bulk_create(
            Product(
                sku=g.sku,
                name=g.name,
                brand=g.brand,
                category=g.category,
                material=g.material,
                colour=g.colour,
                price=Decimal(g.price),
            )
            for g in product_catalogue(seed)
        )
    }
    loader = _Loader(stores, consultants, products, today, seed)
    generated = generate_clients(clients, seed=seed, today=today, catalogue=product_catalogue(seed))
    bar = tqdm(total=clients, desc="clients", unit="", disable=not progress, leave=False)
    batch: list[GenClient] = []
    for gen in generated:
        batch.append(gen)
        if len(batch) == BATCH:
            loader.load(batch)
            bar.update(len(batch))
            batch = []
    if batch:
        loader.load(batch)
        bar.update(len(batch))
    bar.close()
    _plant_duplicates(stores, consultants, seed)
    ids = list(Client.objects.order_by("pk").values_list("pk", flat=True))
    plans = tqdm(total=len(ids), desc="contact plans", unit="", disable=not progress, leave=False)
    start = today - timedelta(days=HISTORY_DAYS)
    plans_rebuild(client_ids=ids, today=start, progress=plans.update)
    _work_the_plans(start, today, seed)
    plans.close()
    with tqdm(total=len(ids), desc="scores", unit="", disable=not progress, leave=False) as bar:
        scores_refresh(today=today, progress=bar.update)
    with tqdm(total=len(ids), desc="today's plans", unit="", disable=not progress) as bar:
        plans_rebuild(client_ids=ids, today=today, progress=bar.update)
    for store in stores:
        duplicate_candidates_refresh(store=store)


# Second cards of the same person, as a colleague in a hurry makes them at the till: each variant
# takes one of a store's first clients with a phone and re-types them (the review queue is never
# empty in the demo). (how the name is written, how the phone is typed, e-mail, birthday kept)
DUPLICATE_VARIANTS = (
    ("latin", "8 ({a}) {b} {c} {d}", False, True),
    ("diminutive", "+7 {a} {b}-{c}-{d}", True, False),
    ("swapped", "8{a}{b}{c}{d}", False, True),
)


def _plant_duplicates(stores: list[Store], consultants: dict[int, list[User]], seed: int) -> None:
    """A few duplicate cards per store, created through the till's service by a colleague of the
    client's consultant (so they carry everything a real one does: timeline, keys, consent)."""
    from rapport.core.dupes import latin
    from rapport.core.nicknames import diminutives

    for index, store in enumerate(stores):
        team = consultants[index]
        originals = (
            Client.objects.filter(store=store, birthday__isnull=False)
            .filter(contact_points__kind="phone")
            .filter(contact_points__kind="email")
            .order_by("pk")
            .distinct()
        )
        for (how, phone_format, with_email, with_birthday), client in zip(
            DUPLICATE_VARIANTS, originals, strict=False
        ):
            points = {p.kind: p.value for p in client.contact_points.order_by("-is_primary", "pk")}
            phone, email = points["phone"][2:], points["email"]
            first, last = client.first_name, client.last_name
            if how == "latin":
                first, last = latin(first, "icao"), latin(last, "icao")
            elif how == "diminutive":
                first = next((f for f in diminutives(first) if f != first), first)
            else:
                first, last = last, first
            colleague = next((u for u in team if u.pk != client.owner_id), team[0])
            client_create(
                actor=colleague,
                store=store,
                first_name=first,
                last_name=last,
                phone=phone_format.format(a=phone[:3], b=phone[3:6], c=phone[6:8], d=phone[8:]),
                email=email.upper() if with_email else "",
                birthday=client.birthday if with_birthday else None,
                gender=client.gender,
                language=client.language,
                consent_channels=("sms",),
            )


# What consultants did with their contacts: (outcome, weight) for messages and for calls.
MESSAGE_OUTCOMES = (
    (Outcome.REPLIED, 58), (Outcome.SENT, 12), (Outcome.VISIT_BOOKED, 12),
    (Outcome.NO_ANSWER, 10), (Outcome.DECLINED, 6), (Outcome.OPTED_OUT, 2),
)  # fmt: skip
CALL_OUTCOMES = ((Outcome.REPLIED, 60), (Outcome.NO_ANSWER, 25), (Outcome.VISIT_BOOKED, 15))
DONE_SHARE = 0.87  # share of due contacts made (on the day, or a day or two late)


@transaction.atomic
def _work_the_plans(start: date, today: date, seed: int) -> None:
    """The last weeks as the team lived them: most due contacts made, with outcomes; a few
    missed, a few still waiting for a reply, the last days' ones overdue."""
    rng = random.Random(seed + 1)
    tz = timezone.get_current_timezone()
    drafters: dict[int, Drafter] = {}
    due = list(
        Touchpoint.objects.filter(
            status=TouchpointStatus.PLANNED, due_on__gte=start, due_on__lt=today
        )
        .exclude(channel="")
        .select_related("client", "assignee", "store")
        .order_by("due_on", "pk")
    )
    contacts: list[Contact] = []
    done: list[Touchpoint] = []
    withdrawn: list[tuple[int, str]] = []
    for point in due:
        late = (today - point.due_on).days
        if point.assignee_id is None or rng.random() > DONE_SHARE:
            if late > 3:
                point.status = TouchpointStatus.CANCELLED
                done.append(point)
            continue  # left for Today: overdue
        table = CALL_OUTCOMES if point.channel == "call" else MESSAGE_OUTCOMES
        outcome = rng.choices([o for o, _ in table], weights=[w for _, w in table])[0]
        if outcome == Outcome.SENT and late > 5:
            outcome = Outcome.NO_ANSWER if rng.random() < 0.5 else Outcome.REPLIED
        day = point.due_on + timedelta(days=min(late - 1, rng.choice((0, 0, 0, 0, 1, 2))))
        at = datetime.combine(day, time(rng.randint(10, 19), rng.randint(0, 59)), tzinfo=tz)
        drafter = drafters.setdefault(point.store_id, Drafter(point.store))
        contacts.append(
            Contact(
                client_id=point.client_id,
                touchpoint=point,
                user_id=point.assignee_id,
                channel=point.channel,
                outcome=outcome,
                occasion=point.occasion,
                category=point.category,
                text=drafter.text(point, point.assignee),
                at=at,
                outcome_at=at + timedelta(hours=rng.randint(0, 20)),
            )
        )
        point.status = (
            TouchpointStatus.WAITING if outcome == Outcome.SENT else TouchpointStatus.DONE
        )
        point.done_at = at
        done.append(point)
        if outcome == Outcome.OPTED_OUT:
            withdrawn.append((point.client_id, point.channel))
    Contact.objects.bulk_create(contacts, batch_size=1000)
    Touchpoint.objects.bulk_update(done, ["status", "done_at"], batch_size=1000)
    TimelineEvent.objects.bulk_create(
        (
            TimelineEvent(
                client_id=c.client_id,
                kind=TimelineKind.CONTACTED,
                at=c.at,
                actor_id=c.user_id,
                data={"outcome": c.outcome, "channel": c.channel, "occasion": c.occasion},
                contact=c,
                touchpoint=c.touchpoint,
            )
            for c in contacts
        ),
        batch_size=1000,
    )
    for client_id, channel in withdrawn:
        Consent.objects.filter(client_id=client_id, channel=channel).update(
            status=ConsentStatus.WITHDRAWN, source=ConsentSource.MESSAGE
        )


class _Loader:
    """Writes generated clients in bulk, the way the services would have written them."""

    def __init__(
        self,
        stores: list[Store],
        consultants: dict[int, list[User]],
        products: dict[str, Product],
        today: date,
        seed: int,
    ) -> None:
        self.stores = stores
        self.consultants = consultants
        self.products = products
        self.today = today
        self.rng = random.Random(seed)
        self.receipts = [0 for _ in stores]

    @transaction.atomic
    def load(self, batch: list[GenClient]) -> None:
        rng = self.rng
        clients: list[Client] = []
        for gen in batch:
            store_index = gen.index % len(self.stores)
            team = self.consultants[store_index]
            # A few clients have no consultant: a manager's "unassigned" list is never empty.
            owner = None if rng.random() < 0.03 else team[rng.randrange(len(team))]
            last_purchase = gen.purchases[-1].at if gen.purchases else None
            clients.append(
                Client(
                    store=self.stores[store_index],
                    owner=owner,
                    first_name=gen.first_name,
                    last_name=gen.last_name,
                    middle_name=gen.middle_name,
                    gender=gen.gender,
                    birthday=gen.birthday,
                    language=gen.language,
                    preferred_channel=gen.preferred_channel,
                    status=generated_status(gen, self.today),
                    created_at=gen.created_at,
                    purchase_count=len(gen.purchases),
                    last_purchase_at=last_purchase,
                    first_name_key=name_skeleton(gen.first_name)[:80],
                    last_name_key=name_skeleton(gen.last_name)[:80],
                )
            )
        Client.objects.bulk_create(clients)

        contacts: list[ContactPoint] = []
        consents: list[Consent] = []
        preferences: list[Preference] = []
        relatives: list[Relative] = []
        purchases: list[tuple[Purchase, Any]] = []
        visits: list[Visit] = []
        relative_owners: list[tuple[GenClient, Client]] = []
        for gen, client in zip(batch, clients, strict=True):
            for contact in gen.contacts:
                contacts.append(
                    ContactPoint(
                        client=client,
                        kind=contact.kind,
                        value=contact.value,
                        suffix_key=phone_suffix_key(contact.value)
                        if contact.kind == "phone"
                        else "",
                        is_primary=contact.is_primary,
                        created_at=gen.created_at,
                    )
                )
            consents += [
                Consent(
                    client=client,
                    channel=c.channel,
                    status=c.status,
                    source=c.source,
                    changed_at=c.changed_at,
                    changed_by=client.owner,
                )
                for c in gen.consents
            ]
            preferences += [
                Preference(
                    client=client,
                    kind=p.kind,
                    value=p.value,
                    detail=p.detail,
                    created_at=gen.created_at,
                )
                for p in gen.preferences
            ]
            if gen.relatives:
                relative_owners.append((gen, client))
                relatives += [
                    Relative(
                        client=client,
                        name=r.name,
                        relation=r.relation,
                        gender=r.gender,
                        birthday=r.birthday,
                        greet_directly=r.greet_directly,
                        created_at=gen.created_at,
                    )
                    for r in gen.relatives
                ]
            store_index = gen.index % len(self.stores)
            for bought in gen.purchases:
                self.receipts[store_index] += 1
                purchases.append(
                    (
                        Purchase(
                            client=client,
                            store=client.store,
                            consultant=client.owner,
                            receipt_number=f"{STORES[store_index][2]}-{self.receipts[store_index]:07d}",
                            purchased_at=bought.at,
                            total=Decimal(bought.total),
                            discount_total=Decimal(bought.discount_total),
                            created_at=bought.at,
                        ),
                        bought,
                    )
                )
            visits += [
                Visit(
                    client=client,
                    store=client.store,
                    consultant=client.owner,
                    visited_at=v.at,
                    purpose=v.purpose,
                    looked_at=v.looked_at,
                )
                for v in gen.visits
            ]
        ContactPoint.objects.bulk_create(contacts, batch_size=BATCH)
        Consent.objects.bulk_create(consents, batch_size=BATCH)
        Preference.objects.bulk_create(preferences, batch_size=BATCH)
        Relative.objects.bulk_create(relatives, batch_size=BATCH)

        key_dates: list[KeyDate] = []
        by_client: dict[int, list[Relative]] = {id(client): [] for _, client in relative_owners}
        for relative in relatives:
            by_client[id(relative.client)].append(relative)
        for gen, client in zip(batch, clients, strict=True):
            own = by_client.get(id(client), [])
            key_dates += [
                KeyDate(
                    client=client,
                    kind=k.kind,
                    date=k.date,
                    recurrence=k.recurrence,
                    label=k.label,
                    relative=own[k.relative] if k.relative is not None else None,
                    created_at=gen.created_at,
                )
                for k in gen.key_dates
            ]
        KeyDate.objects.bulk_create(key_dates, batch_size=BATCH)

        Purchase.objects.bulk_create([p for p, _ in purchases], batch_size=BATCH)
        lines = [
            PurchaseLine(
                purchase=purchase,
                product=self.products.get(line.sku),
                description=line.description,
                quantity=line.quantity,
                unit_price=Decimal(line.unit_price),
                discount=Decimal(line.discount),
            )
            for purchase, bought in purchases
            for line in bought.lines
        ]
        PurchaseLine.objects.bulk_create(lines, batch_size=BATCH)
        Visit.objects.bulk_create(visits, batch_size=BATCH)

        events = [
            TimelineEvent(
                client=client,
                kind=TimelineKind.CREATED,
                at=gen.created_at,
                actor=client.owner,
                data={
                    "contacts": [c.value for c in gen.contacts if c.kind != "telegram"],
                    "consents": [c.channel for c in gen.consents if c.status == "granted"],
                },
            )
            for gen, client in zip(batch, clients, strict=True)
        ]
        events += [
            TimelineEvent(
                client=purchase.client,
                kind=TimelineKind.PURCHASE,
                at=purchase.purchased_at,
                actor=purchase.consultant,
                purchase=purchase,
                data={
                    "total": str(purchase.total),
                    "items": [ln.description for ln in bought.lines][:10],
                },
            )
            for purchase, bought in purchases
        ]
        events += [
            TimelineEvent(
                client=visit.client,
                kind=TimelineKind.VISIT,
                at=visit.visited_at,
                actor=visit.consultant,
                visit=visit,
                data={"purpose": visit.purpose, "looked_at": visit.looked_at},
            )
            for visit in visits
        ]
        TimelineEvent.objects.bulk_create(events, batch_size=BATCH)


def generated_status(gen: GenClient, today: date) -> str:
    """A generated client's status: new below the regular threshold, regular, or dormant once
    lapsed and far past their own rhythm (the demo and the benchmarks load clients alike)."""
    last_purchase = gen.purchases[-1].at if gen.purchases else None
    if len(gen.purchases) < Thresholds().regular_purchases or last_purchase is None:
        return ClientStatus.NEW
    overdue = (today - last_purchase.date()).days / max(gen.rhythm_days, 1.0)
    if gen.lapsed_at is not None and overdue > DORMANT_OVERDUE_RATIO:
        return ClientStatus.DORMANT
    return ClientStatus.REGULAR
