"""Background jobs for sales data (Django's tasks API; run by ``rapport worker``).

- ``import_run``: load a queued import file (:func:`rapport.sales.services.import_execute`);
  a run is claimed with a conditional update, so a retried job or a second worker does nothing.
- ``clients_refresh``: after an import, the touched clients' numbers, then their plans.
"""

from __future__ import annotations

from typing import Any

from django.tasks import task


@task()
def import_run(run_id: int) -> dict[str, Any]:
    """Load one queued import file into its store."""
    from rapport.sales.services import import_execute

    stats = import_execute(run_id=run_id)
    return stats.as_dict() if stats is not None else {"skipped": "already claimed"}


@task()
def clients_refresh(client_ids: list[int]) -> dict[str, Any]:
    """Rescore and re-plan clients whose history changed in bulk (an import)."""
    from rapport.insights.services import scores_refresh
    from rapport.outreach.services import plans_rebuild

    scored = scores_refresh(client_ids=client_ids)
    planned = plans_rebuild(client_ids=client_ids)
    return {"scores": scored.as_dict(), "plans": planned.as_dict()}
