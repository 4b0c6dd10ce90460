"""Imports end to end: a file uploaded, mapped, loaded in bulk, loaded again without duplicates."""

from __future__ import annotations

import io
import json
import threading
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import translation

from rapport.clients.choices import TimelineKind
from rapport.clients.models import Client, TimelineEvent
from rapport.clients.selectors import client_card
from rapport.clients.services import client_merge, client_merge_undo
from rapport.sales import importing, services
from rapport.sales.choices import ImportStatus
from rapport.sales.models import ImportRun, Product, Purchase, PurchaseLine
from rapport.testing import World

PRODUCTS = (
    "Артикул;Наименование;Бренд;Цена;Услуга\n"
    "00123;Кольцо «Ива»;Atelier;45 900,00;нет\n"
    "00124;Серьги «Капля»;Atelier;32 000,50;нет\n"
    "SRV-1;Чистка украшений;;0;да\n"
)
CLIENTS = (
    "Код;Фамилия;Имя;Отчество;Телефон;E-mail;Дата рождения\n"
    "C-1;Петрова;Мария;Ивановна;8 (926) 555-12-34;maria@example.ru;12.03.1985\n"
    "C-2;Сидорова;Елена;;+7 903 111 22 33;;01.02.1990\n"
    "C-3;Орлова;Ирина;;12345;;\n"
)
PURCHASES = (
    "Номер чека;Дата;Телефон;Артикул;Количество;Цена;Скидка\n"
    "R-1;05.10.2026 12:30;8 916 123-45-67;00123;1;45 900,00;0\n"
    "R-1;05.10.2026 12:30;8 916 123-45-67;00124;2;32 000,50;1 000,00\n"
    "R-2;06.10.2026 15:00;+7 999 000 00 00;00123;1;45 900,00;0\n"
    "R-3;07.10.2026 11:00;+7 916 123 45 67;00123;1;45 900,00;0\n"
    "R-3;07.10.2026 11:00;+7 916 123 45 67;00124;один;32 000,50;0\n"
)


def cp1251(text: str) -> bytes:
    return text.encode("cp1251")


def load(world: World, kind: str, text: str, *, dry_run: bool = False) -> ImportRun:
    """Upload, map by the guessed headers and run the file as the store's manager."""
    run = services.import_upload(
        actor=world.manager, store=world.store, kind=kind, filename=f"{kind}.csv", data=cp1251(text)
    )
    services.import_start(
        actor=world.manager, run=run, mapping=run.mapping, dry_run=dry_run, queue=False
    )
    services.import_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


def counts(run: ImportRun) -> tuple[int, int, int, int]:
    return (run.created, run.updated, run.unchanged, run.rejected)


def purchase_entries(
    world: World, client: Client | None = None
) -> list[tuple[int | None, datetime, str, list[str]]]:
    """The purchases on a card's timeline (Anna's by default): receipt, moment, total, items."""
    card = client_card(user=world.manager, pk=(client or world.client).pk)
    return [
        (e.purchase_id, e.at, e.data["total"], e.data["items"])
        for e in card.timeline
        if e.kind == TimelineKind.PURCHASE
    ]


@pytest.fixture
def catalogue(world: World) -> None:
    load(world, "products", PRODUCTS)


def test_products_from_a_1c_export_are_upserted_by_article(world: World) -> None:
    run = load(world, "products", PRODUCTS)
    assert (run.status, counts(run)) == (ImportStatus.DONE, (3, 0, 0, 0))
    ring = Product.objects.get(sku="00123")  # the leading zeros are kept
    assert (ring.name, ring.brand, ring.price, ring.is_service) == (
        "Кольцо «Ива»",
        "Atelier",
        Decimal("45900.00"),
        False,
    )
    assert Product.objects.get(sku="SRV-1").is_service is True
    # the same file again changes nothing; a new price updates one product
    assert counts(load(world, "products", PRODUCTS)) == (0, 0, 3, 0)
    changed = PRODUCTS.replace("45 900,00", "47 500,00")
    assert counts(load(world, "products", changed)) == (0, 1, 2, 0)
    assert Product.objects.get(sku="00123").price == Decimal("47500.00")
    assert Product.objects.count() == 3


def test_clients_are_created_matched_and_never_duplicated(world: World) -> None:
    run = load(world, "clients", CLIENTS)
    # the third line has a phone no operator uses: refused with its line and column
    assert counts(run) == (2, 0, 0, 1)
    assert [(r["line"], r["column"], r["reason"]) for r in run.sample_rejects] == [
        (4, "Телефон", "phone_too_short")
    ]
    maria = Client.objects.get(external_id="C-1")
    assert (maria.last_name, maria.first_name, maria.middle_name, str(maria.birthday)) == (
        "Петрова",
        "Мария",
        "Ивановна",
        "1985-03-12",
    )
    assert set(maria.contact_points.values_list("kind", "value")) == {
        ("phone", "+79265551234"),
        ("email", "maria@example.ru"),
    }
    assert maria.owner is None  # nobody chosen: the manager assigns them
    assert TimelineEvent.objects.filter(client=maria, kind=TimelineKind.CREATED).count() == 1
    # the same file again: nothing new; an updated export updates by the client code
    assert counts(load(world, "clients", CLIENTS)) == (0, 0, 2, 1)
    moved = CLIENTS.replace("C-2;Сидорова", "C-2;Сидорова-Лебедева")
    assert counts(load(world, "clients", moved)) == (0, 1, 1, 1)
    assert Client.objects.get(external_id="C-2").last_name == "Сидорова-Лебедева"
    assert Client.objects.filter(store=world.store).count() == 3  # Anna + Maria + Elena


def test_a_client_without_code_is_found_by_phone_in_any_format(world: World) -> None:
    text = "Фамилия;Имя;Телефон\nИванова;Анна;8 (916) 123 45 67\n"
    run = load(world, "clients", text)
    assert counts(run) == (0, 0, 1, 0)  # the card made at the till, same name
    assert Client.objects.filter(store=world.store).count() == 1


def test_receipts_attach_to_cards_and_a_bad_line_refuses_its_whole_receipt(
    world: World, catalogue: None
) -> None:
    run = load(world, "purchases", PURCHASES)
    # R-1 stored; R-2's phone is nobody's; R-3's second line has no quantity, so neither line
    reasons = {(r["line"], r["reason"]) for r in run.sample_rejects}
    assert reasons == {
        (4, importing.UNKNOWN_CLIENT),
        (5, "receipt_incomplete"),
        (6, "bad_number"),
    }
    assert counts(run) == (1, 0, 0, 3)
    receipt = Purchase.objects.get(receipt_number="R-1")
    assert receipt.client == world.client
    assert receipt.total == Decimal("45900.00") + Decimal("64001.00") - Decimal("1000.00")
    assert receipt.discount_total == Decimal("1000.00")
    assert list(receipt.lines.values_list("product__sku", "quantity", "unit_price")) == [
        ("00123", 1, Decimal("45900.00")),
        ("00124", 2, Decimal("32000.50")),
    ]
    assert not Purchase.objects.filter(receipt_number="R-3").exists()
    world.client.refresh_from_db()
    assert world.client.purchase_count == 1
    assert world.client.last_purchase_at == receipt.purchased_at
    # the card's timeline shows the receipt, from the receipt: an import writes no entries
    assert not TimelineEvent.objects.filter(kind=TimelineKind.PURCHASE).exists()
    assert purchase_entries(world) == [
        (receipt.pk, receipt.purchased_at, "108901.00", ["Кольцо «Ива»", "Серьги «Капля»"])
    ]


def test_the_same_receipts_again_store_nothing_and_a_changed_export_rewrites_them(
    world: World, catalogue: None
) -> None:
    load(world, "purchases", PURCHASES)
    lines_before = list(PurchaseLine.objects.values_list("pk", flat=True))
    again = load(world, "purchases", PURCHASES)
    assert counts(again) == (0, 0, 1, 3)
    assert list(PurchaseLine.objects.values_list("pk", flat=True)) == lines_before
    # the shop corrected a price in 1C and exported again
    corrected = PURCHASES.replace("2;32 000,50;1 000,00", "2;31 000,00;1 000,00")
    fixed = load(world, "purchases", corrected)
    assert counts(fixed) == (0, 1, 0, 3)
    receipt = Purchase.objects.get(receipt_number="R-1")
    assert receipt.total == Decimal("45900.00") + Decimal("62000.00") - Decimal("1000.00")
    assert receipt.lines.count() == 2
    assert Purchase.objects.count() == 1
    assert purchase_entries(world) == [
        (receipt.pk, receipt.purchased_at, "106900.00", ["Кольцо «Ива»", "Серьги «Капля»"])
    ]


def test_a_rewritten_receipt_updates_the_entry_the_till_wrote(
    world: World, catalogue: None
) -> None:
    # given R-1 rung up at the till (with its timeline entry), with one line of the two
    moment = datetime(2026, 10, 5, 12, 30, tzinfo=ZoneInfo(world.store.time_zone))
    till = services.purchase_record(
        actor=world.owner, client=world.client, receipt_number="R-1", purchased_at=moment,
        lines=[services.LineInput(description="Кольцо", quantity=1, unit_price=Decimal("45900"))],
    )  # fmt: skip
    # when 1C's export of it, with both lines, is imported
    run = load(world, "purchases", PURCHASES)
    # then the receipt is rewritten in place and its one entry follows
    assert counts(run) == (0, 1, 0, 3)
    assert list(Purchase.objects.values_list("pk", "total")) == [(till.pk, Decimal("108901.00"))]
    event = TimelineEvent.objects.get(kind=TimelineKind.PURCHASE)
    assert (event.purchase_id, event.actor_id, event.data) == (
        till.pk,
        world.owner.pk,
        {"total": "108901.00", "items": ["Кольцо «Ива»", "Серьги «Капля»"]},
    )
    assert purchase_entries(world) == [
        (till.pk, moment, "108901.00", ["Кольцо «Ива»", "Серьги «Капля»"])
    ]


def test_imported_receipts_follow_their_card_through_a_merge_and_its_undo(
    world: World, catalogue: None
) -> None:
    # given Boris's card and a receipt imported for him
    load(world, "clients", "Имя;E-mail\nБорис;boris@example.ru\n")
    boris = Client.objects.get(first_name="Борис")
    load(world, "purchases", "Номер чека;Дата;E-mail;Артикул;Цена\nR-9;01.10.2026 10:00;"
         "boris@example.ru;00123;45 900,00\n")  # fmt: skip
    receipt = Purchase.objects.get(receipt_number="R-9")
    shown = [(receipt.pk, receipt.purchased_at, "45900.00", ["Кольцо «Ива»"])]
    # when the manager merges Boris into Anna's card
    merge = client_merge(actor=world.manager, survivor=world.client, other=boris)
    # then Anna's timeline shows Boris's receipt, and after the undo Boris's does again
    assert purchase_entries(world) == shown
    client_merge_undo(actor=world.manager, merge=merge)
    assert (purchase_entries(world), purchase_entries(world, boris)) == ([], shown)


def test_receipts_and_articles_go_only_with_the_lines_that_refer_to_them(
    world: World, catalogue: None
) -> None:
    # given a stored receipt with two lines, each of a known article
    load(world, "purchases", PURCHASES)
    receipt = Purchase.objects.get(receipt_number="R-1")
    ring, earrings = Product.objects.get(sku="00123"), Product.objects.get(sku="00124")
    # when the receipt or an article is deleted under its lines (lines have no constraint)
    # then PostgreSQL's guards refuse; SQLite has one writer, nothing to guard against
    if connection.vendor == "postgresql":
        for model, pk in ((Purchase, receipt.pk), (Product, ring.pk)):
            with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as sql:
                sql.execute(f"DELETE FROM {model._meta.db_table} WHERE id = %s", [pk])
    # and Django's deletes, which clear the lines first, go through
    ring.delete()
    assert list(receipt.lines.values_list("product_id", flat=True)) == [None, earrings.pk]
    receipt.delete()
    assert not PurchaseLine.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_chunks_of_receipts_load_side_by_side_as_they_would_one_by_one(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a catalogue and nine receipts of one or two lines, two lines per chunk
    load(world, "products", PRODUCTS)
    monkeypatch.setattr(importing, "CHUNK_LINES", 2)
    loaded_by = set()
    load_chunk = importing._load_chunk

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        loaded_by.add(threading.current_thread().name.split("_")[0])
        return load_chunk(*args, **kwargs)

    monkeypatch.setattr(importing, "_load_chunk", spy)
    text = "Номер чека;Дата;Телефон;Артикул;Количество;Цена\n" + "".join(
        f"R-{n};0{n}.10.2026 12:00;8 916 123-45-67;{sku};1;1 000,00\n"
        for n in range(1, 10)
        for sku in ("00123", "00124")[: 1 + n % 2]
    )
    # when the file is imported, then imported again
    first, again = load(world, "purchases", text), load(world, "purchases", text)
    # then PostgreSQL loaded the chunks on the import's own connections, SQLite on its one
    assert loaded_by == ({"import"} if connection.vendor == "postgresql" else {"MainThread"})
    assert (counts(first), counts(again)) == ((9, 0, 0, 0), (0, 0, 9, 0))
    assert (Purchase.objects.count(), PurchaseLine.objects.count()) == (9, 14)
    world.client.refresh_from_db()
    assert (world.client.purchase_count, world.client.last_purchase_at) == (
        9,
        datetime(2026, 10, 9, 12, tzinfo=ZoneInfo(world.store.time_zone)),
    )


def test_a_receipt_gone_before_its_rewrite_fails_the_run_without_leaving_lines(
    world: World, catalogue: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given R-1 stored, and a corrected export read while someone deletes R-1
    load(world, "purchases", PURCHASES)
    lines_before = list(PurchaseLine.objects.values_list("pk", flat=True))
    read = importing._existing_receipts

    def read_then_deleted(*args):  # type: ignore[no-untyped-def]
        return read(*args).with_columns(pl.col("old_id") + 10**9)  # ids nobody has

    monkeypatch.setattr(importing, "_existing_receipts", read_then_deleted)
    corrected = PURCHASES.replace("2;32 000,50;1 000,00", "2;31 000,00;1 000,00")
    # when the export is imported, then imported again
    with pytest.raises(IntegrityError):
        load(world, "purchases", corrected)
    failed = ImportRun.objects.latest("pk")
    monkeypatch.undo()
    # then the first run failed, naming the receipt, and wrote no line for a missing receipt
    assert (failed.status, "R-1" in failed.error) == (ImportStatus.FAILED, True)
    assert list(PurchaseLine.objects.values_list("pk", flat=True)) == lines_before
    # and the next run completes the import
    assert counts(load(world, "purchases", corrected)) == (0, 1, 0, 3)


def test_a_receipt_of_another_client_is_refused(world: World, catalogue: None) -> None:
    load(world, "purchases", PURCHASES)
    other = "Номер чека;Дата;E-mail;Артикул;Количество;Цена\nR-1;05.10.2026 12:30;x;00123;1;1,00\n"
    load(world, "clients", "Имя;E-mail\nБорис;boris@example.ru\n")
    run = load(world, "purchases", other.replace(";x;", ";boris@example.ru;"))
    assert [(r["line"], r["reason"]) for r in run.sample_rejects] == [
        (2, importing.RECEIPT_OTHER_CLIENT)
    ]
    assert Purchase.objects.get(receipt_number="R-1").client == world.client


def test_a_dry_run_counts_everything_and_writes_nothing(world: World, catalogue: None) -> None:
    run = load(world, "purchases", PURCHASES, dry_run=True)
    assert (run.status, run.dry_run, counts(run)) == (ImportStatus.DONE, True, (1, 0, 0, 3))
    assert Purchase.objects.count() == 0
    assert PurchaseLine.objects.count() == 0


def test_only_managers_import_and_a_bad_mapping_is_refused_with_reasons(world: World) -> None:
    with pytest.raises(PermissionDenied):
        services.import_upload(
            actor=world.owner, store=world.store, kind="clients", filename="c.csv", data=b"a\n1\n"
        )
    run = services.import_upload(
        actor=world.manager, store=world.store, kind="purchases", filename="p.csv",
        data=cp1251(PURCHASES),
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        services.import_start(
            actor=world.manager, run=run, mapping={"Номер чека": None}, dry_run=True, queue=False
        )
    assert refused.value.messages == ["Choose a column for: Receipt number, Date of purchase."]


def test_an_unreadable_file_is_refused_before_anything_is_kept(world: World) -> None:
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        services.import_upload(
            actor=world.manager, store=world.store, kind="clients", filename="c.csv", data=b""
        )
    assert refused.value.message_dict == {"file": ["The file is empty."]}
    assert ImportRun.objects.count() == 0


def test_the_command_imports_and_reports_json(world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "products.csv"
    path.write_bytes(cp1251(PRODUCTS))
    rejects = tmp_path / "rejects.csv"
    out = io.StringIO()
    call_command(
        "import", "products", str(path), "--store", world.store.name, "--json",
        "--rejects", str(rejects), stdout=out,
    )  # fmt: skip
    summary = json.loads(out.getvalue())
    assert (summary["created"], summary["rejected"], summary["dry_run"]) == (3, 0, False)
    assert rejects.read_bytes().decode("utf-8-sig").splitlines() == ["line;column;reason;value"]


# --- pages ----------------------------------------------------------------------------------------


def test_the_manager_uploads_checks_the_preview_and_follows_the_import(
    world: World,
    client,
    settings,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    client.force_login(world.manager)
    upload = io.BytesIO(cp1251(PRODUCTS))
    upload.name = "products.csv"
    response = client.post(reverse("sales:imports"), {"kind": "products", "file": upload})
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:import_detail", args=[run.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Кольцо «Ива»" in page and "45900.00" in page  # the preview, as it will be stored
    form = {f"col{i}": run.mapping[h] or "" for i, h in enumerate(run.headers)}
    with django_capture_on_commit_callbacks(execute=True):  # the worker takes the job
        response = client.post(
            reverse("sales:import_detail", args=[run.pk]), {**form, "action": "run"}
        )
    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.status, run.created) == (ImportStatus.DONE, 3)
    assert Product.objects.count() == 3


def test_import_pages_check_who_is_asking(world: World, client) -> None:  # type: ignore[no-untyped-def]
    run = services.import_upload(
        actor=world.manager, store=world.store, kind="products", filename="p.csv",
        data=cp1251(PRODUCTS),
    )  # fmt: skip
    client.force_login(world.owner)  # a consultant
    assert client.get(reverse("sales:imports")).status_code == 403
    assert client.get(reverse("sales:import_detail", args=[run.pk])).status_code == 404
    client.force_login(world.stranger)  # another store's consultant
    assert client.get(reverse("sales:import_rejects", args=[run.pk])).status_code == 404


def test_exports_hold_only_what_the_user_sees_and_never_formulas(
    world: World,
    client,  # type: ignore[no-untyped-def]
) -> None:
    from rapport.clients.services import client_create

    client_create(actor=world.colleague, store=world.store, first_name='=HYPERLINK("x")')
    client.force_login(world.owner)
    response = client.get(reverse("sales:export", args=["clients", "csv"]))
    text = response.content.decode("utf-8-sig")
    assert response.status_code == 200
    assert len(text.strip().splitlines()) == 2  # the header and Olga's only client
    assert "+79161234567" in text
    client.force_login(world.manager)  # the manager sees the store
    text = client.get(reverse("sales:export", args=["clients", "csv"])).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert len(text.strip().splitlines()) == 3
