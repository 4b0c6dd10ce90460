import pytest

from rapport.clients.selectors import client_search

pytestmark = pytest.mark.django_db


def test_smoke(world):
    for q in [
        "89161234567",
        "8 (916) 123 45 67",
        "4567",
        "Ivanova",
        "анна",
        "ANNA@example.ru",
        "иванова ан",
    ]:
        assert [c.pk for c in client_search(user=world.owner, text=q)] == [world.client.pk], q
    assert client_search(user=world.stranger, text="4567") == []
