"""Loading clients' history into the scoring core and saving their numbers.

The maths is pure (:mod:`rapport.core.scores` for rhythm, signals, type and status;
:mod:`rapport.core.btyd` for BG/NBD and Gamma-Gamma). A full pass runs in three steps:

1. every purchase of the company as three arrays (client, day, net amount) → the RFM summary;
2. BG/NBD and Gamma-Gamma fitted on all clients at once and every client scored;
3. client by client in chunks: their history → :func:`rapport.core.scores.figures`, joined with
   the model scores, saved as :class:`ClientScore` rows (upserted) and the client's status.

One client (after a purchase or a return) is scored with the parameters of the last full pass.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from time import perf_counter
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from rapport.base.queries import among
from rapport.clients.choices import ClientStatus
from rapport.clients.models import Client
from rapport.core import btyd, scores
from rapport.insights.models import ClientScore, ScoreSettings, ScoringRun
from rapport.outreach.models import Contact
from rapport.sales.models import Purchase, Visit

CHUNK = 2_000
EXPECTED_DAYS = 90
_CENT = Decimal("0.01")


# --- settings -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoreRules:
    """A store's scoring settings as the core wants them."""

    thresholds: scores.Thresholds
    clv_months: int
    monthly_discount: float
    attribution_days: int


DEFAULT_RULES = StoreRules(scores.Thresholds(), 12, 0.01, 14)


def rules_from(settings: ScoreSettings | None) -> StoreRules:
    """The core's thresholds from a store's settings row (defaults without one)."""
    if settings is None:
        return DEFAULT_RULES
    annual = float(settings.annual_discount) / 100
    return StoreRules(
        scores.Thresholds(
            regular_purchases=settings.regular_purchases,
            vip_revenue=float(settings.vip_revenue),
            dormant_ratio=float(settings.dormant_ratio),
            dormant_days=settings.dormant_days,
            former_days=settings.former_days,
            unanswered_streak=settings.unanswered_streak,
        ),
        clv_months=settings.clv_months,
        monthly_discount=(1 + annual) ** (1 / 12) - 1,
        attribution_days=settings.attribution_days,
    )


def rules_by_store() -> dict[int, StoreRules]:
    """Every store's rules that differ from the defaults (one query)."""
    return {s.store_id: rules_from(s) for s in ScoreSettings.objects.all()}


# --- loading ------------------------------------------------------------------------------------


def _day(moment: Any) -> int:
    return int(moment.toordinal())


def sales_arrays() -> tuple[np.ndarray, ...]:
    """Every purchase as (client, day number, net amount)."""
    data = Purchase.objects.annotate(day=TruncDate("purchased_at")).values_list(
        "client_id", "day", F("total") - F("returned_total")
    )
    clients, days, amounts = [], [], []
    for client_id, day, amount in data.iterator(chunk_size=20_000):
        clients.append(client_id)
        days.append(day.toordinal())
        amounts.append(float(amount))
    return (
        np.array(clients, dtype=np.int64),
        np.array(days, dtype=np.int64),
        np.array(amounts, dtype=np.float64),
    )


@dataclass(slots=True)
class Loaded:
    """A chunk of clients' history, ready for the core."""

    histories: dict[int, scores.History] = field(default_factory=dict)
    stores: dict[int, int] = field(default_factory=dict)
    statuses: dict[int, str] = field(default_factory=dict)


_SALE_COLUMNS = (
    "client_id", "day", "total", "discount_total", "returned_total", "items", "services",
)  # fmt: skip


def histories_for(ids: Sequence[int]) -> Loaded:
    """The purchases, visits and contacts of the given clients (four queries); a card merged
    into another is left out (its history is the survivor's now)."""
    wanted = set(ids)
    loaded = Loaded()
    if not ids:
        return loaded
    created: dict[int, date] = {}
    for pk, store_id, status, created_at in Client.objects.filter(
        among(ids, "pk"), merged_into__isnull=True
    ).values_list("pk", "store_id", "status", TruncDate("created_at")):
        if pk in wanted:
            created[pk] = created_at
            loaded.stores[pk] = store_id
            loaded.statuses[pk] = status
    sales: dict[int, list[scores.Sale]] = defaultdict(list)
    for client_id, day, total, discount, returned, items, services in (
        Purchase.objects.filter(among(ids))
        .annotate(
            day=TruncDate("purchased_at"),
            items=Coalesce(Sum("lines__quantity"), 0),
            services=Coalesce(Sum("lines__quantity", filter=Q(lines__product__is_service=True)), 0),
        )
        .order_by("client_id", "day", "pk")  # the core's fast path: receipts in date order
        .values_list(*_SALE_COLUMNS)
    ):
        sales[client_id].append(
            scores.Sale(
                day, float(total), float(discount), float(returned), int(items), int(services)
            )
        )
    visits: dict[int, list[date]] = defaultdict(list)
    for client_id, day in Visit.objects.filter(among(ids)).values_list(
        "client_id", TruncDate("visited_at")
    ):
        visits[client_id].append(day)
    contacts: dict[int, list[scores.Touch]] = defaultdict(list)
    for client_id, day, outcome in (
        Contact.objects.filter(among(ids))
        .order_by("at", "pk")
        .values_list("client_id", TruncDate("at"), "outcome")
    ):
        contacts[client_id].append(scores.Touch(day, outcome))
    for pk, made in created.items():
        loaded.histories[pk] = scores.History(
            created=made,
            sales=tuple(sales.get(pk, ())),
            visits=tuple(visits.get(pk, ())),
            contacts=tuple(contacts.get(pk, ())),
        )
    return loaded


# --- the models ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Models:
    """Fitted BG/NBD and Gamma-Gamma (either may be missing when the data cannot fit it)."""

    bg: btyd.BgNbd | None
    gg: btyd.GammaGamma | None

    def as_json(self) -> tuple[dict[str, Any], dict[str, Any]]:
        def plain(model: Any) -> dict[str, Any]:
            if model is None:
                return {}
            return {k: getattr(model, k) for k in model.__slots__}

        return plain(self.bg), plain(self.gg)

    @classmethod
    def from_run(cls, run: ScoringRun | None) -> Models:
        """The models saved by a scoring run (none without one)."""
        if run is None:
            return cls(None, None)
        bg = btyd.BgNbd(**run.bg_nbd) if run.bg_nbd else None
        gg = btyd.GammaGamma(**run.gamma_gamma) if run.gamma_gamma else None
        return cls(bg, gg)


@dataclass(frozen=True, slots=True)
class ModelScores:
    """BG/NBD and Gamma-Gamma numbers per client id (NaN where not scored)."""

    clients: np.ndarray
    p_alive: np.ndarray
    expected: np.ndarray
    spend: np.ndarray
    clv: np.ndarray

    def get(self, client_id: int) -> tuple[float, float, float, float] | None:
        i = int(np.searchsorted(self.clients, client_id))
        if i >= len(self.clients) or self.clients[i] != client_id:
            return None
        return (
            float(self.p_alive[i]),
            float(self.expected[i]),
            float(self.spend[i]),
            float(self.clv[i]),
        )


def _empty_scores() -> ModelScores:
    empty = np.zeros(0)
    return ModelScores(np.zeros(0, dtype=np.int64), empty, empty, empty, empty)


def fit_and_score(rfm: btyd.Rfm, rules: StoreRules = DEFAULT_RULES) -> tuple[Models, ModelScores]:
    """Fit both models on every client and score them all (no models with too little data)."""
    try:
        result = btyd.score(
            rfm,
            expected_days=EXPECTED_DAYS,
            months=rules.clv_months,
            monthly_discount=rules.monthly_discount,
        )
    except btyd.NotEnoughData:
        return Models(None, None), _empty_scores()
    clv = result.clv if result.gg is not None else np.full(len(rfm.clients), np.nan)
    spend = result.spend if result.gg is not None else np.full(len(rfm.clients), np.nan)
    return Models(result.bg, result.gg), ModelScores(
        rfm.clients, result.p_alive, result.expected, spend, clv
    )


def score_with(models: Models, rfm: btyd.Rfm, rules: StoreRules) -> ModelScores:
    """Score clients with already fitted models (one client after a purchase)."""
    n = len(rfm.clients)
    nan = np.full(n, np.nan)
    if models.bg is None or n == 0:
        return ModelScores(rfm.clients, nan, nan, nan, nan)
    p_alive = btyd.bgnbd_p_alive(models.bg, rfm.frequency, rfm.recency, rfm.T)
    expected = btyd.bgnbd_expected(models.bg, EXPECTED_DAYS, rfm.frequency, rfm.recency, rfm.T)
    if models.gg is None:
        return ModelScores(rfm.clients, p_alive, expected, nan, nan)
    spend = btyd.gamma_gamma_spend(models.gg, rfm.frequency, rfm.monetary)
    clv = btyd.clv(
        models.bg, models.gg, rfm, months=rules.clv_months, monthly_discount=rules.monthly_discount
    )
    return ModelScores(rfm.clients, p_alive, expected, spend, clv)


# --- saving -------------------------------------------------------------------------------------


def _money(value: float) -> Decimal:
    return Decimal(repr(round(value, 2))).quantize(_CENT)


def _maybe(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


def priority(figures: scores.Figures, p_alive: float | None, clv: float | None) -> float:
    """Value × risk: what the client may be worth (the larger of the next months' expected value
    and the last year's spend) times how likely they are slipping away (1 − P(alive), or the
    overdue ratio capped at 1 where the models could not score them)."""
    value = max(clv or 0.0, figures.revenue_year)
    if p_alive is not None:
        risk = 1.0 - p_alive
    elif figures.rhythm is not None:
        risk = min(1.0, figures.rhythm.overdue_ratio / 2)
    else:
        risk = 0.5
    return round(value * risk, 2)


def score_row(
    client_id: int,
    figures: scores.Figures,
    model: tuple[float, float, float, float] | None,
    today: date,
) -> ClientScore:
    """One client's row from the core's figures and the models' numbers."""
    p_alive, expected, spend, clv = (_maybe(v) for v in (model or (None,) * 4))
    rhythm = figures.rhythm
    return ClientScore(
        client_id=client_id,
        computed_on=today,
        purchases=figures.purchases,
        first_purchase=figures.first,
        last_purchase=figures.last,
        revenue=_money(figures.revenue),
        revenue_year=_money(figures.revenue_year),
        average_ticket=_money(figures.average_ticket),
        discount_share=round(figures.discount_share, 4),
        return_share=round(figures.return_share, 4),
        interval_days=rhythm.interval if rhythm else None,
        interval_low=rhythm.low if rhythm else None,
        interval_high=rhythm.high if rhythm else None,
        regularity=round(rhythm.regularity, 4) if rhythm else None,
        overdue_ratio=round(rhythm.overdue_ratio, 4) if rhythm else None,
        p_alive=round(p_alive, 4) if p_alive is not None else None,
        expected_purchases=round(expected, 4) if expected is not None else None,
        expected_spend=_money(spend) if spend is not None else None,
        clv=_money(clv) if clv is not None else None,
        signals=[{"code": s.code, "evidence": s.evidence} for s in figures.signals],
        kind=figures.kind.code,
        kind_evidence=figures.kind.evidence,
        priority=priority(figures, p_alive, clv),
    )


_FIELDS = [f.name for f in ClientScore._meta.concrete_fields if not f.primary_key]


def save_rows(rows: list[ClientScore]) -> None:
    """Upsert the rows (one statement per batch on SQLite and PostgreSQL)."""
    ClientScore.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["client"],
        update_fields=_FIELDS,
    )


@dataclass(slots=True)
class ScoreStats:
    """What a scoring pass did (printed by ``rapport score --json``)."""

    clients: int = 0
    status_changed: int = 0
    with_models: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    bg_nbd: dict[str, Any] = field(default_factory=dict)
    gamma_gamma: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "clients": self.clients,
            "status_changed": self.status_changed,
            "with_models": self.with_models,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "bg_nbd": self.bg_nbd,
            "gamma_gamma": self.gamma_gamma,
        }


def kept_status(current: str, computed: str) -> str:
    """The status to store: the computed one, except that a client a manager made VIP stays VIP
    while they are active (only dormant or former takes it away)."""
    if current == ClientStatus.VIP and computed in (ClientStatus.NEW, ClientStatus.REGULAR):
        return current
    return computed


def score_chunk(
    loaded: Loaded,
    today: date,
    model_scores: ModelScores,
    rules: dict[int, StoreRules],
) -> tuple[list[ClientScore], dict[int, str]]:
    """The rows and the changed statuses of a chunk of loaded clients."""
    rows, statuses = [], {}
    for pk, history in loaded.histories.items():
        rule = rules.get(loaded.stores[pk], DEFAULT_RULES)
        model = model_scores.get(pk)
        p_alive = _maybe(model[0]) if model else None
        figures = scores.figures(history, today, rule.thresholds, p_alive=p_alive)
        rows.append(score_row(pk, figures, model, today))
        status = kept_status(loaded.statuses[pk], figures.status)
        if status != loaded.statuses[pk]:
            statuses[pk] = status
    return rows, statuses


def _status_save(statuses: dict[int, str]) -> None:
    by_status: dict[str, list[int]] = defaultdict(list)
    for pk, status in statuses.items():
        by_status[status].append(pk)
    for status, pks in by_status.items():
        for batch in itertools.batched(sorted(pks), 1_000):
            Client.objects.filter(pk__in=batch).update(status=status, updated_at=timezone.now())


def scores_pass(
    *,
    client_ids: Iterable[int] | None = None,
    today: date,
    progress: Callable[[int], None] | None = None,
) -> ScoreStats:
    """Score clients (all by default, merged cards never): fit the models on every purchase,
    then save chunk by chunk, one transaction per chunk. The fitted models are kept in a
    :class:`ScoringRun`."""
    stats = ScoreStats()
    started = perf_counter()
    run = ScoringRun.objects.create(on=today)
    clients, days, amounts = sales_arrays()
    rfm = btyd.rfm_from_purchases(clients, days, amounts, today=today.toordinal())
    stats.seconds["load"] = perf_counter() - started
    mark = perf_counter()
    models, model_scores = fit_and_score(rfm)
    rules = rules_by_store()
    _clv_by_store(models, rfm, model_scores, rules)
    stats.seconds["fit_and_score"] = perf_counter() - mark
    stats.bg_nbd, stats.gamma_gamma = models.as_json()
    stats.with_models = int(np.count_nonzero(~np.isnan(model_scores.p_alive)))
    mark = perf_counter()
    if client_ids is None:
        active = Client.objects.filter(merged_into__isnull=True)
        ids = list(active.order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted(set(client_ids))
    for chunk in itertools.batched(ids, CHUNK):
        rows, statuses = score_chunk(histories_for(chunk), today, model_scores, rules)
        with transaction.atomic():
            save_rows(rows)
            _status_save(statuses)
        stats.clients += len(rows)
        stats.status_changed += len(statuses)
        if progress is not None:
            progress(len(chunk))
    stats.seconds["save"] = perf_counter() - mark
    stats.seconds["total"] = perf_counter() - started
    run.finished_at = timezone.now()
    run.clients = stats.clients
    run.bg_nbd, run.gamma_gamma = stats.bg_nbd, stats.gamma_gamma
    run.seconds = {k: round(v, 3) for k, v in stats.seconds.items()}
    run.save()
    return stats


def _clv_by_store(
    models: Models, rfm: btyd.Rfm, model_scores: ModelScores, rules: dict[int, StoreRules]
) -> None:
    """Recompute lifetime value, in place, for the clients of stores with their own horizon or
    discount rate (the fit itself is shared by the whole company)."""
    if models.bg is None or models.gg is None:
        return
    custom = {
        store_id: rule
        for store_id, rule in rules.items()
        if (rule.clv_months, rule.monthly_discount)
        != (DEFAULT_RULES.clv_months, DEFAULT_RULES.monthly_discount)
    }
    if not custom:
        return
    stores = dict(Client.objects.filter(store_id__in=list(custom)).values_list("pk", "store_id"))
    if not stores:
        return
    store_of = np.array([stores.get(int(pk), 0) for pk in rfm.clients], dtype=np.int64)
    for store_id, rule in custom.items():
        mask = store_of == store_id
        if not mask.any():
            continue
        part = btyd.Rfm(
            rfm.clients[mask], rfm.frequency[mask], rfm.recency[mask], rfm.T[mask],
            rfm.monetary[mask],
        )  # fmt: skip
        model_scores.clv[mask] = btyd.clv(
            models.bg, models.gg, part, months=rule.clv_months,
            monthly_discount=rule.monthly_discount,
        )  # fmt: skip


def score_one(client: Client, today: date) -> ClientScore:
    """Score one client with the last pass's models and save the row (and the status)."""
    run = ScoringRun.objects.exclude(bg_nbd={}).filter(finished_at__isnull=False).first()
    models = Models.from_run(run)
    settings = ScoreSettings.objects.filter(store_id=client.store_id).first()
    rule = rules_from(settings)
    loaded = histories_for([client.pk])  # one read of the receipts serves both cores
    if client.pk not in loaded.histories:
        raise ValueError(f"client {client.pk} has been merged into another card")
    sales = loaded.histories[client.pk].sales
    rfm = btyd.rfm_from_purchases(
        np.full(len(sales), client.pk, dtype=np.int64),
        np.array([sale.day.toordinal() for sale in sales], dtype=np.int64),
        np.array([sale.total - sale.returned for sale in sales], dtype=np.float64),
        today=today.toordinal(),
    )
    model_scores = score_with(models, rfm, rule)
    rows, statuses = score_chunk(loaded, today, model_scores, {client.store_id: rule})
    save_rows(rows)
    if statuses:
        client.status = statuses[client.pk]
        client.save(update_fields=["status", "updated_at"])
    return rows[0]
