"""Purchases: no second index on the client (``purchase_client_idx`` serves it); the consultant
and a line's article indexed only where set.

Schema only. As in clients 0005, the full indexes are dropped by name so that the foreign-key
constraints are not re-created (a validation scan on PostgreSQL, a table copy on SQLite).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _drop_index(table: str, column: str, index: str) -> migrations.RunSQL:
    return migrations.RunSQL(
        f'DROP INDEX IF EXISTS "{index}"', f'CREATE INDEX "{index}" ON "{table}" ("{column}")'
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_calendar_token"),
        ("clients", "0004_merge_and_blacklist"),
        ("sales", "0003_import_runs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="purchase",
            index=models.Index(
                condition=models.Q(("consultant__isnull", False)),
                fields=["consultant"],
                name="purchase_consultant_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="purchaseline",
            index=models.Index(
                condition=models.Q(("product__isnull", False)),
                fields=["product"],
                name="purchaseline_product_idx",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="purchase",
                    name="client",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="purchases",
                        to="clients.client",
                    ),
                ),
                migrations.AlterField(
                    model_name="purchase",
                    name="consultant",
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
                    model_name="purchaseline",
                    name="product",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="sales.product",
                    ),
                ),
            ],
            database_operations=[
                _drop_index("sales_purchase", "client_id", "sales_purchase_client_id_0deccd3c"),
                _drop_index(
                    "sales_purchase", "consultant_id", "sales_purchase_consultant_id_b0cce31b"
                ),
                _drop_index(
                    "sales_purchaseline", "product_id", "sales_purchaseline_product_id_fe19605d"
                ),
            ],
        ),
    ]
