"""Touchpoints lose the single-column indexes Django gave their foreign keys.

The composite indexes (client | assignee | store, status, due_on) lead with the same columns and
serve every look-up by them, cascades included; a re-plan writes millions of touchpoints and each
index costs every row. The relative's index becomes partial: most touchpoints name no relative.

Django's own ``AlterField(db_index=False)`` would also drop and re-add each foreign-key
constraint (on PostgreSQL), re-checking every row of a large table; only the indexes go here.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

KEYS = ("client_id", "store_id", "assignee_id", "relative_id")


def _single_column_indexes(schema_editor, table: str) -> list[str]:
    with schema_editor.connection.cursor() as cursor:
        constraints = schema_editor.connection.introspection.get_constraints(cursor, table)
    return [
        name
        for name, info in constraints.items()
        if info["index"] and not info["primary_key"] and not info["unique"]
        and len(info["columns"]) == 1 and info["columns"][0] in KEYS
        and not name.startswith("touchpoint_")  # the indexes this app names itself
    ]  # fmt: skip


def drop_key_indexes(apps, schema_editor):
    table = apps.get_model("outreach", "Touchpoint")._meta.db_table
    for name in _single_column_indexes(schema_editor, table):
        schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def create_key_indexes(apps, schema_editor):
    model = apps.get_model("outreach", "Touchpoint")
    for column in KEYS:
        field = next(f for f in model._meta.concrete_fields if f.column == column)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_calendar_token"),
        ("clients", "0005_timeline_partial_link_indexes"),
        ("outreach", "0007_plan_digest"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_key_indexes, create_key_indexes)],
            state_operations=[
                migrations.AlterField(
                    model_name="touchpoint",
                    name="assignee",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="touchpoint",
                    name="client",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="touchpoints",
                        to="clients.client",
                    ),
                ),
                migrations.AlterField(
                    model_name="touchpoint",
                    name="relative",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="clients.relative",
                    ),
                ),
                migrations.AlterField(
                    model_name="touchpoint",
                    name="store",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.store",
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="touchpoint",
            index=models.Index(
                condition=models.Q(("relative__isnull", False)),
                fields=["relative"],
                name="touchpoint_relative_idx",
            ),
        ),
    ]
