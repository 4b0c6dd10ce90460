"""Receipt lines lose their foreign-key constraints; on PostgreSQL, triggers keep the other half.

Schema only. A foreign key checks each inserted line against its receipt and article, row by
row: half of what an import costs the database. The writers now check those links themselves
(docs/adr/0006-data-in.md). What a constraint also did — refuse to delete a receipt or an article
that lines still refer to — is kept on PostgreSQL by a statement-level trigger per table, one
set-based query per DELETE. SQLite has one writer at a time, so nothing can slip in between a
writer's check and its commit there.
"""

import django.db.models.deletion
from django.db import migrations, models

# (trigger and function, referenced table, the lines' column)
GUARDS = (
    ("sales_purchase_lines_guard", "sales_purchase", "purchase_id"),
    ("sales_product_lines_guard", "sales_product", "product_id"),
)


def guards_add(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in GUARDS:
        schema_editor.execute(
            f"""
            CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF EXISTS (
                    SELECT 1 FROM gone JOIN sales_purchaseline l ON l.{column} = gone.id
                    WHERE l.{column} IS NOT NULL
                ) THEN
                    RAISE EXCEPTION 'receipt lines still refer to a deleted row of {table}'
                        USING ERRCODE = 'foreign_key_violation';
                END IF;
                RETURN NULL;
            END
            $$
            """
        )
        schema_editor.execute(
            f"CREATE TRIGGER {name} AFTER DELETE ON {table} REFERENCING OLD TABLE AS gone "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )


def guards_drop(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, _ in GUARDS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0004_purchase_lean_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="purchaseline",
            name="product",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="sales.product",
            ),
        ),
        migrations.AlterField(
            model_name="purchaseline",
            name="purchase",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="lines",
                to="sales.purchase",
            ),
        ),
        migrations.RunPython(guards_add, guards_drop),
    ]
