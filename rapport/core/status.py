"""A client's status from their purchases (pure; insights refines it with scores later)."""

from __future__ import annotations

REGULAR_THRESHOLD = 3


def status_after_purchase(
    current: str, purchase_count: int, regular_threshold: int = REGULAR_THRESHOLD
) -> str:
    """A purchase makes a client new or regular again; a VIP stays VIP."""
    if current == "vip":
        return current
    return "regular" if purchase_count >= regular_threshold else "new"
