"""Plan digests: a fingerprint per client of the plan its stored rows hold (see ``PlanDigest``).

Any write to a client's touchpoints, by whatever path, deletes the client's digest: triggers on
the touchpoint table, so no code path (a service, a merge, a job, a hand-written query) can
leave a digest describing rows that changed. On PostgreSQL they are statement-level triggers
with transition tables (one ``DELETE`` per statement, not per row: the planner ``COPY``s tens of
thousands of rows at once); SQLite only has row-level ones. Truncating the touchpoints empties
the digests.
"""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "outreach_touchpoint"
DIGESTS = "outreach_plandigest"

# PostgreSQL: one function and one statement trigger per event (a trigger with transition
# tables may have only one event).
POSTGRESQL = {
    "insert": f"DELETE FROM {DIGESTS} WHERE client_id IN (SELECT client_id FROM new_rows)",
    "update": (
        f"DELETE FROM {DIGESTS} WHERE client_id IN "
        "(SELECT client_id FROM old_rows UNION SELECT client_id FROM new_rows)"
    ),
    "delete": f"DELETE FROM {DIGESTS} WHERE client_id IN (SELECT client_id FROM old_rows)",
    # not TRUNCATE: a flush truncates both tables in one statement, and a table being truncated
    # cannot be truncated again from a trigger
    "truncate": f"DELETE FROM {DIGESTS}",
}
REFERENCING = {
    "insert": "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT",
    "delete": "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT",
    "truncate": "FOR EACH STATEMENT",
}
SQLITE = {
    "insert": f"DELETE FROM {DIGESTS} WHERE client_id = NEW.client_id",
    "update": f"DELETE FROM {DIGESTS} WHERE client_id IN (OLD.client_id, NEW.client_id)",
    "delete": f"DELETE FROM {DIGESTS} WHERE client_id = OLD.client_id",
}


def _name(event: str) -> str:
    return f"outreach_touchpoint_{event}_forgets_plan"


def create_triggers(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        for event, statement in POSTGRESQL.items():
            schema_editor.execute(
                f"CREATE FUNCTION {_name(event)}() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN {statement}; RETURN NULL; END $$"
            )
            schema_editor.execute(
                f"CREATE TRIGGER {_name(event)} AFTER {event.upper()} ON {TABLE} "
                f"{REFERENCING[event]} EXECUTE FUNCTION {_name(event)}()"
            )
    elif connection.vendor == "sqlite":
        for event, statement in SQLITE.items():
            schema_editor.execute(
                f"CREATE TRIGGER {_name(event)} AFTER {event.upper()} ON {TABLE} "
                f"FOR EACH ROW BEGIN {statement}; END"
            )
    else:
        raise NotImplementedError(f"plan digests need triggers on {connection.vendor}")


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for event in POSTGRESQL:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {_name(event)} ON {TABLE}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {_name(event)}()")
    else:
        for event in SQLITE:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {_name(event)}")


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0004_merge_and_blacklist"),
        ("outreach", "0006_nightly_run"),
    ]

    operations = [
        migrations.CreateModel(
            name="PlanDigest",
            fields=[
                (
                    "client",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="clients.client",
                    ),
                ),
                ("digest", models.BigIntegerField()),
                ("planned_on", models.DateField()),
            ],
            options={
                "verbose_name": "plan digest",
                "verbose_name_plural": "plan digests",
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
