"""``rapport token create|list|revoke``: API keys for tills and web shops.

``rapport token create --store NAME --name "Till 1" --scopes clients:read,purchases:write``
prints the key once; ``--json`` prints one JSON line instead (with the key).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rapport.accounts.models import Store
from rapport.api.choices import TokenScope
from rapport.api.models import IntegrationToken
from rapport.api.services import token_create, token_revoke


def _row(token: IntegrationToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "store": token.store.name,
        "key_prefix": token.key_prefix,
        "scopes": token.scopes,
        "created_at": token.created_at.isoformat(),
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


class Command(BaseCommand):
    help = "Create, list or revoke API keys for tills and web shops."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="issue a key (printed once)")
        create.add_argument("--store", required=True, help="the store's name (or id)")
        create.add_argument("--name", required=True, help='e.g. "Till 1"')
        create.add_argument(
            "--scopes",
            required=True,
            help="comma-separated: " + ",".join(TokenScope.values),
        )
        create.add_argument("--json", action="store_true", help="one JSON line")
        listing = actions.add_parser("list", help="every key (without the secret)")
        listing.add_argument("--json", action="store_true", help="one JSON line per key")
        revoke = actions.add_parser("revoke", help="stop a key working")
        revoke.add_argument("id", type=int)
        revoke.add_argument("--json", action="store_true", help="one JSON line")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _create(self, options: dict[str, Any]) -> None:
        raw = options["store"]
        store = Store.objects.filter(name=raw).first() or (
            Store.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
        )
        if store is None:
            raise CommandError(f"no store {raw!r}")
        scopes = [scope.strip() for scope in options["scopes"].split(",") if scope.strip()]
        try:
            token, key = token_create(actor=None, store=store, name=options["name"], scopes=scopes)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if options["json"]:
            self.stdout.write(json.dumps({**_row(token), "key": key}, ensure_ascii=False))
            return
        self.stdout.write(
            f"Token {token.pk} “{token.name}” for {store.name}: {', '.join(token.scopes)}"
        )
        self.stdout.write(f"Key (shown once, keep it secret): {key}")

    def _list(self, options: dict[str, Any]) -> None:
        for token in IntegrationToken.objects.select_related("store").order_by("pk"):
            row = _row(token)
            if options["json"]:
                self.stdout.write(json.dumps(row, ensure_ascii=False))
            else:
                state = "revoked" if token.revoked_at else "active"
                self.stdout.write(
                    f"{token.pk}\t{token.key_prefix}…\t{state}\t{token.store.name}\t"
                    f"{token.name}\t{','.join(token.scopes)}"
                )

    def _revoke(self, options: dict[str, Any]) -> None:
        token = IntegrationToken.objects.select_related("store").filter(pk=options["id"]).first()
        if token is None:
            raise CommandError(f"no token {options['id']}")
        token = token_revoke(actor=None, token=token)
        if options["json"]:
            self.stdout.write(json.dumps(_row(token), ensure_ascii=False))
        else:
            self.stdout.write(f"Token {token.pk} “{token.name}” revoked.")
