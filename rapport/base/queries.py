"""Query helpers shared by the batch loaders (planning, scoring)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q


def among(ids: Sequence[int], field: str = "client_id") -> Q:
    """``field IN ids``, or a range when the ids are nearly contiguous (a chunk of a full pass):
    one condition instead of thousands of parameters. Callers ignore the rows of clients in the
    range that were not asked for."""
    low, high = min(ids), max(ids)
    if high - low < 2 * len(ids):
        return Q(**{f"{field}__gte": low, f"{field}__lte": high})
    return Q(**{f"{field}__in": list(ids)})
