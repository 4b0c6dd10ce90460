from django.db import migrations
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    """Copy each touchpoint's store and consultant from its client."""
    Touchpoint = apps.get_model("outreach", "Touchpoint")
    Client = apps.get_model("clients", "Client")
    clients = Client.objects.filter(pk=OuterRef("client_id"))
    Touchpoint.objects.update(
        store_id=Subquery(clients.values("store_id")[:1]),
        assignee_id=Subquery(clients.values("owner_id")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [("outreach", "0002_contacts_and_templates")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
