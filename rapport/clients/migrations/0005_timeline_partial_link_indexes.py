"""The timeline's typed links are indexed only where set; the client by ``timeline_client_at_idx``.

Schema only. The foreign keys keep their constraints: the database drops the full indexes Django
made for them (by their generated names) instead of re-creating each constraint, which on a big
table would mean a validation scan per link (PostgreSQL) or a copy of the table (SQLite).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "clients_timelineevent"
# link → the name Django gave its full index (schema_editor._create_index_name)
FULL_INDEXES = {
    "actor": "clients_timelineevent_actor_id_d763bca0",
    "client": "clients_timelineevent_client_id_1f5199ed",
    "contact": "clients_timelineevent_contact_id_0b8135cb",
    "note": "clients_timelineevent_note_id_df857445",
    "purchase": "clients_timelineevent_purchase_id_01fda1cb",
    "sale_return": "clients_timelineevent_sale_return_id_1f16c9c3",
    "touchpoint": "clients_timelineevent_touchpoint_id_f09672ce",
    "visit": "clients_timelineevent_visit_id_46f194a8",
}
TARGETS = {
    "actor": settings.AUTH_USER_MODEL,
    "client": "clients.client",
    "contact": "outreach.contact",
    "note": "clients.note",
    "purchase": "sales.purchase",
    "sale_return": "sales.return",
    "touchpoint": "outreach.touchpoint",
    "visit": "sales.visit",
}


def _field(link: str) -> models.ForeignKey:
    if link == "client":
        return models.ForeignKey(
            db_index=False,
            on_delete=django.db.models.deletion.CASCADE,
            related_name="timeline",
            to=TARGETS[link],
        )
    return models.ForeignKey(
        blank=True,
        db_index=False,
        null=True,
        on_delete=django.db.models.deletion.SET_NULL,
        related_name="+",
        to=TARGETS[link],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0004_merge_and_blacklist"),
        ("outreach", "0006_nightly_run"),
        ("sales", "0003_import_runs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        *(
            migrations.AddIndex(
                model_name="timelineevent",
                index=models.Index(
                    condition=models.Q((f"{link}__isnull", False)),
                    fields=[link],
                    name=f"timeline_{link}_idx",
                ),
            )
            for link in FULL_INDEXES
            if link != "client"
        ),
        *(
            migrations.SeparateDatabaseAndState(
                state_operations=[
                    migrations.AlterField(model_name="timelineevent", name=link, field=_field(link))
                ],
                database_operations=[
                    migrations.RunSQL(
                        f'DROP INDEX IF EXISTS "{index}"',
                        f'CREATE INDEX "{index}" ON "{TABLE}" ("{link}_id")',
                    )
                ],
            )
            for link, index in FULL_INDEXES.items()
        ),
    ]
