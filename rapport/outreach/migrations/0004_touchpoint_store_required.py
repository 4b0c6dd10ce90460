import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_calendar_token"),
        ("outreach", "0003_touchpoint_store_fill"),
    ]

    operations = [
        migrations.AlterField(
            model_name="touchpoint",
            name="store",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.store",
            ),
        ),
    ]
