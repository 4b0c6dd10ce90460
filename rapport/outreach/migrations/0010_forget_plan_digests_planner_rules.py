"""Every plan digest is forgotten: the planner's rules changed (ADR 0007: overdue touchpoints,
passed and folded occasions, horizons staggered over four weeks).

A stored plan is re-planned only when its digest is missing or its ``stable_until`` day has come;
a plan stored under the old rules could otherwise stay as it was for weeks. With the digests gone
the next nightly pass (or ``rapport replan --due``) takes every client once. A release that
changes the planner's rules adds a migration like this one.
"""

from django.db import migrations


def forget(apps, schema_editor):
    apps.get_model("outreach", "PlanDigest").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("outreach", "0009_plan_inputs_forget_digests")]

    operations = [migrations.RunPython(forget, migrations.RunPython.noop, elidable=True)]
