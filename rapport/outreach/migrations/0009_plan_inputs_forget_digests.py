"""Plan digests learn how long a plan holds, and forget it when anything the plan reads changes.

``PlanDigest.stable_until`` is the first day the stored plan may change with the same input (the
planner names it, ``docs/adr/0007-incremental-replan.md``). The nightly re-plan then
takes only the clients without a digest or whose day has come: that is sound only if every
change to a plan's input deletes the client's digest, as migration ``0007`` already does for
touchpoints. Here the same triggers go on every other table the plan loader reads:

- a client's own row, when a column the plan reads changes (status, channel, birthday, name,
  gender, language, store, consultant, blacklist, merge); the nightly figures and the purchase
  summaries an import writes do not touch a plan;
- the rows that belong to a client: relatives, key dates, consents, addresses, preferences,
  purchases, visits, contacts, and receipt lines (through their receipt);
- a store's standard (every client of the store), and the store's country (its holidays).

On PostgreSQL, statement-level triggers with transition tables (one ``DELETE`` per statement: an
import ``COPY``s receipts by the thousand) and row-level ones with a ``WHEN`` for the client and
store rows (a statement that rewrites every client's figures queues nothing); SQLite has only
row-level triggers. Existing digests get a ``stable_until`` in the past: their clients are all
re-planned once, the next night.
"""

import datetime

from django.db import migrations, models

DIGESTS = "outreach_plandigest"

# Tables whose rows belong to a client through ``client_id``.
OWNED = ("clients_relative", "clients_keydate", "clients_consent", "clients_contactpoint",
         "clients_preference", "sales_purchase", "sales_visit", "outreach_contact")  # fmt: skip
LINES = "sales_purchaseline"
# The client columns the plan loader reads (the rest: figures, search keys, timestamps).
CLIENT_COLUMNS = ("status", "preferred_channel", "birthday", "language", "gender",
                  "first_name", "store_id", "owner_id", "is_blacklisted", "merged_into_id")  # fmt: skip
EVENTS = ("insert", "update", "delete")
REFERENCING = {
    "insert": "REFERENCING NEW TABLE AS new_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "REFERENCING OLD TABLE AS old_rows",
}
ROWS = {"insert": ("new_rows",), "update": ("old_rows", "new_rows"), "delete": ("old_rows",)}
RECORDS = {"insert": ("NEW",), "update": ("OLD", "NEW"), "delete": ("OLD",)}


def _name(table: str, event: str) -> str:
    return f"{table}_{event}_forgets_plans"


def _owners_sql(table: str, rows: str) -> str:
    """The client ids the rows ``rows`` (a transition table) belong to."""
    if table == LINES:
        return (f"SELECT p.client_id FROM sales_purchase p "
                f"WHERE p.id IN (SELECT purchase_id FROM {rows})")  # fmt: skip
    return f"SELECT client_id FROM {rows}"


def _owner_sql(table: str, record: str) -> str:
    """The client id one row (``NEW`` or ``OLD``) belongs to, as an SQL expression."""
    if table == LINES:
        return f"(SELECT client_id FROM sales_purchase WHERE id = {record}.purchase_id)"
    return f"{record}.client_id"


def _changed(record_columns: tuple[str, ...], vendor: str) -> str:
    differs = "IS DISTINCT FROM" if vendor == "postgresql" else "IS NOT"
    return " OR ".join(f"OLD.{c} {differs} NEW.{c}" for c in record_columns)


def _store_clients(record: str) -> str:
    return (f"DELETE FROM {DIGESTS} WHERE client_id IN "
            f"(SELECT id FROM clients_client WHERE store_id = {record}.store_id)")  # fmt: skip


def _postgresql(schema_editor) -> None:
    run = schema_editor.execute
    for table in (*OWNED, LINES):
        for event in EVENTS:
            owners = " UNION ".join(_owners_sql(table, rows) for rows in ROWS[event])
            name = _name(table, event)
            run(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"DELETE FROM {DIGESTS} WHERE client_id IN ({owners}); RETURN NULL; END $$")
            run(f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} {REFERENCING[event]} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()")  # fmt: skip
        # not TRUNCATE: a flush truncates the digests in the same statement
        name = _name(table, "truncate")
        run(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"DELETE FROM {DIGESTS}; RETURN NULL; END $$")
        run(f"CREATE TRIGGER {name} AFTER TRUNCATE ON {table} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {name}()")
    name = _name("clients_client", "update")
    run(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"DELETE FROM {DIGESTS} WHERE client_id = OLD.id; RETURN NULL; END $$")
    run(f"CREATE TRIGGER {name} AFTER UPDATE ON clients_client FOR EACH ROW "
        f"WHEN ({_changed(CLIENT_COLUMNS, 'postgresql')}) EXECUTE FUNCTION {name}()")
    name = _name("outreach_standard", "change")
    run(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP <> 'INSERT' THEN {_store_clients('OLD')}; END IF; "
        f"IF TG_OP <> 'DELETE' THEN {_store_clients('NEW')}; END IF; RETURN NULL; END $$")
    run(f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON outreach_standard "
        f"FOR EACH ROW EXECUTE FUNCTION {name}()")
    name = _name("accounts_store", "update")
    run(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"DELETE FROM {DIGESTS} WHERE client_id IN "
        f"(SELECT id FROM clients_client WHERE store_id = NEW.id); RETURN NULL; END $$")
    run(f"CREATE TRIGGER {name} AFTER UPDATE ON accounts_store FOR EACH ROW "
        f"WHEN (OLD.country IS DISTINCT FROM NEW.country) EXECUTE FUNCTION {name}()")


def _sqlite(schema_editor) -> None:
    run = schema_editor.execute
    for table in (*OWNED, LINES):
        for event in EVENTS:
            owners = ", ".join(_owner_sql(table, record) for record in RECORDS[event])
            run(f"CREATE TRIGGER {_name(table, event)} AFTER {event.upper()} ON {table} "
                f"FOR EACH ROW BEGIN DELETE FROM {DIGESTS} WHERE client_id IN ({owners}); END")
    run(f"CREATE TRIGGER {_name('clients_client', 'update')} AFTER UPDATE ON clients_client "
        f"FOR EACH ROW WHEN {_changed(CLIENT_COLUMNS, 'sqlite')} "
        f"BEGIN DELETE FROM {DIGESTS} WHERE client_id = OLD.id; END")
    for event in EVENTS:
        body = "; ".join(_store_clients(record) for record in RECORDS[event])
        run(f"CREATE TRIGGER {_name('outreach_standard', event)} AFTER {event.upper()} "
            f"ON outreach_standard FOR EACH ROW BEGIN {body}; END")
    run(f"CREATE TRIGGER {_name('accounts_store', 'update')} AFTER UPDATE ON accounts_store "
        f"FOR EACH ROW WHEN OLD.country IS NOT NEW.country BEGIN DELETE FROM {DIGESTS} "
        f"WHERE client_id IN (SELECT id FROM clients_client WHERE store_id = NEW.id); END")


def _triggers() -> list[tuple[str, str]]:
    """Every (trigger, table) this migration creates, for either database."""
    found = [(_name(t, e), t) for t in (*OWNED, LINES) for e in (*EVENTS, "truncate")]
    found += [(_name("clients_client", "update"), "clients_client"),
              (_name("accounts_store", "update"), "accounts_store"),
              (_name("outreach_standard", "change"), "outreach_standard")]  # fmt: skip
    found += [(_name("outreach_standard", e), "outreach_standard") for e in EVENTS]
    return found


def column_add(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    schema_editor.execute(
        f"ALTER TABLE {DIGESTS} ADD COLUMN stable_until date NOT NULL DEFAULT '2000-01-01'"
    )
    if schema_editor.connection.vendor == "postgresql":  # SQLite cannot drop a default
        schema_editor.execute(f"ALTER TABLE {DIGESTS} ALTER COLUMN stable_until DROP DEFAULT")


def column_drop(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    schema_editor.execute(f"ALTER TABLE {DIGESTS} DROP COLUMN stable_until")


def create_triggers(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _postgresql(schema_editor)
    elif vendor == "sqlite":
        _sqlite(schema_editor)
    else:
        raise NotImplementedError(f"plan digests need triggers on {vendor}")


def drop_triggers(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    postgresql = schema_editor.connection.vendor == "postgresql"
    for name, table in _triggers():
        if postgresql:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_calendar_token"),
        ("clients", "0005_timeline_partial_link_indexes"),
        ("sales", "0005_receipt_lines_checked_by_writers"),
        ("outreach", "0008_touchpoint_leaner_indexes"),
    ]

    operations = [
        # A plain ADD COLUMN: Django would rebuild the table on SQLite, which the touchpoint
        # triggers of 0007 refer to (SQLite refuses the rename under them).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="plandigest",
                    name="stable_until",
                    field=models.DateField(default=datetime.date(2000, 1, 1)),
                    preserve_default=False,
                ),
            ],
            database_operations=[
                migrations.RunPython(column_add, column_drop),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
