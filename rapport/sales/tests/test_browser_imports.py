"""A manager imports clients on a phone, in a real browser: columns, dry run, rejects, import."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from rapport.clients.models import Client
from rapport.sales.choices import ImportStatus
from rapport.sales.models import ImportRun
from rapport.testing import World, log_in, make_world, ru

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# An export from 1C as a Russian Excel saves it: Windows-1251, ``;``, names typed carelessly.
CLIENTS = (
    "Код;Фамилия;Имя;Телефон;Дата рождения\n"
    "K-1;  смирнова ;ЕКАТЕРИНА;8 (926) 555-77-88;12.03.1985\n"
    "K-2;Волкова;Дарья;12345;\n"
    "K-3;Ковалёва;Нина;+7 903 111 22 33;\n"
)


def cells(rows) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The text of every cell of some table rows."""
    return [row.locator("td").all_inner_texts() for row in rows.all()]


@pytest.fixture
def live_world(transactional_db: None, settings, tmp_path) -> World:  # type: ignore[no-untyped-def]
    # The queued job runs on commit, in the request, as the worker would run it.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.VAR_DIR = tmp_path  # the uploads and the reject reports of this test only
    return make_world()


def test_manager_imports_clients_after_a_dry_run_and_finds_the_new_client(
    live_world: World,
    phone_page,  # type: ignore[no-untyped-def]
) -> None:
    page = phone_page
    store = live_world.store
    log_in(page, live_world.manager.username)

    # The menu leads to imports.
    page.locator("nav.tabbar details.menu summary").click()
    link = page.locator("nav.tabbar .menu-panel a[href='/imports/']")
    assert link.inner_text() == "Импорт и экспорт"
    link.click()
    page.wait_for_url(re.compile(r"/imports/$"))
    assert page.locator("h1").inner_text() == ru("Import into %(name)s") % {"name": store.name}

    page.get_by_label(ru("What the file holds")).select_option("clients")
    page.locator("input[type=file][name=file]").set_input_files(
        {"name": "клиенты.csv", "mimeType": "text/csv", "buffer": CLIENTS.encode("cp1251")}
    )
    page.get_by_role("button", name=ru("Upload and check columns")).click()
    run = ImportRun.objects.get()
    page.wait_for_url(re.compile(rf"/imports/{run.pk}/$"))
    assert (run.status, run.kind, run.filename) == (
        ImportStatus.MAPPING,
        "clients",
        "клиенты.csv",
    )

    # Each column was recognised by its header.
    columns = page.locator("form select[name^=col]")
    assert [
        (page.locator(f"label[for={sid}]").inner_text(), columns.nth(i).input_value())
        for i, sid in enumerate(columns.evaluate_all("els => els.map(e => e.id)"))
    ] == [
        (f"Код {ru('optional')}", "external_id"),
        (f"Фамилия {ru('optional')}", "last_name"),
        (f"Имя {ru('optional')}", "first_name"),
        (f"Телефон {ru('optional')}", "phone"),
        (f"Дата рождения {ru('optional')}", "birthday"),
    ]
    # The preview: the names cleaned, the phone in E.164, the bad phone refused with its line.
    preview = page.locator(
        "section.card", has_text=ru("Preview: the first lines as they will be stored")
    )
    table = preview.locator("table.data").first
    assert table.locator("thead th").all_inner_texts() == [
        ru("Line"),
        ru("Client code"),
        ru("Last name"),
        ru("First name"),
        ru("Patronymic"),
        ru("Gender"),
        ru("Birthday"),
        ru("Phone"),
        ru("E-mail"),
        ru("Note"),
    ]
    assert cells(table.locator("tbody tr")) == [
        ["2", "K-1", "Смирнова", "Екатерина", "", "", "1985-03-12", "+79265557788", "", ""],
        ["4", "K-3", "Ковалёва", "Нина", "", "", "", "+79031112233", "", ""],
    ]
    too_short = ru("The phone number has too few digits.")
    assert cells(preview.locator("table.data").nth(1).locator("tbody tr")) == [
        ["3", "Телефон", too_short, "12345"]
    ]

    # The dry run goes through the real task backend and stores nothing.
    page.get_by_role("button", name=ru("Dry run: check every line")).click()
    status = page.locator("#import-status")
    status.locator("h2", has_text=ru("Dry run: nothing was stored")).wait_for()
    run.refresh_from_db()
    assert (run.status, run.dry_run) == (ImportStatus.DONE, True)
    assert Client.objects.filter(store=store).count() == 1  # only Anna
    assert status.locator(".counters li").all_inner_texts() == [
        f"3 {ru('lines')}",
        f"2 {ru('would be new')}",
        f"0 {ru('would be updated')}",
        f"0 {ru('unchanged')}",
        f"1 {ru('lines refused')}",
    ]
    assert status.locator(".counters li.warn strong").inner_text() == "1"
    assert cells(status.locator("table.data").first.locator("tr")) == [[too_short, "1"]]
    assert cells(status.locator(".scroll-x table.data tbody tr")) == [
        ["3", "Телефон", too_short, "12345"]
    ]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390

    # Every refused line, as a CSV Russian Excel opens.
    with page.expect_download() as download_info:
        status.get_by_role("link", name=ru("Download every refused line (CSV)")).click()
    download = download_info.value
    assert download.suggested_filename == "клиенты-rejects.csv"
    body = download.path().read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";")) == [
        [ru("Line"), ru("Column"), ru("Reason"), ru("Value")],
        ["3", "Телефон", too_short, "12345"],
    ]

    # Now for real: two clients are stored, the refused line is not.
    page.get_by_role("button", name=ru("Import"), exact=True).click()
    status.locator("h2", has_text=ru("Import finished")).wait_for()
    run.refresh_from_db()
    assert (run.status, run.dry_run, run.created, run.rejected) == (ImportStatus.DONE, False, 2, 1)
    assert status.locator(".counters li strong").all_inner_texts() == ["3", "2", "0", "0", "1"]
    assert set(
        Client.objects.filter(store=store, external_id__startswith="K-").values_list(
            "external_id", "last_name", "first_name", "owner"
        )
    ) == {("K-1", "Смирнова", "Екатерина", None), ("K-3", "Ковалёва", "Нина", None)}

    # The new client is in the book: search, open the card.
    page.locator("nav.tabbar a[href='/clients/']").click()
    page.wait_for_url(re.compile(r"/clients/$"))
    rows = page.locator("#results a.client-row .name")
    assert sorted(rows.all_inner_texts()) == ["Иванова Анна", "Ковалёва Нина", "Смирнова Екатерина"]
    page.get_by_label(ru("Find a client")).fill("смирн")
    expect(rows).to_have_text(["Смирнова Екатерина"])
    row = page.locator("#results a.client-row")
    assert "8 (926) 555-77-88" in row.inner_text()
    row.click()
    katya = Client.objects.get(store=store, external_id="K-1")
    page.wait_for_url(re.compile(rf"/clients/{katya.pk}/$"))
    assert page.locator("h1").inner_text() == "Екатерина Смирнова"
    assert page.locator("#contacts a[href='tel:+79265557788']").inner_text() == "8 (926) 555-77-88"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
