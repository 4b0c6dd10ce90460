"""``rapport serve``: the production web server (gunicorn, static files by WhiteNoise)."""

from __future__ import annotations

import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from gunicorn.app.base import BaseApplication


def default_workers() -> int:
    """``RAPPORT_WEB_WORKERS``, else gunicorn's rule of thumb: two per core plus one."""
    raw = os.environ.get("RAPPORT_WEB_WORKERS", "")
    if raw:
        return int(raw)
    return 2 * (os.cpu_count() or 1) + 1


class Command(BaseCommand):
    help = (
        "Serve Rapport with gunicorn: checks that migrations are applied, collects static files "
        "in production mode, then starts the workers. Put a TLS proxy in front of it."
    )
    requires_migrations_checks = False  # checked below, with a clear refusal instead of a warning

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Worker processes (default: $RAPPORT_WEB_WORKERS, else 2 × CPUs + 1).",
        )
        parser.add_argument(
            "--threads", type=int, default=1, help="Threads per worker (default: 1)."
        )
        parser.add_argument(
            "--timeout", type=int, default=60, help="Seconds before a stuck worker is restarted."
        )
        parser.add_argument(
            "--no-collectstatic",
            action="store_false",
            dest="collectstatic",
            help="Do not run collectstatic (the files are already in STATIC_ROOT).",
        )
        parser.add_argument(
            "--no-access-log",
            action="store_false",
            dest="access_log",
            help="Do not log each request to standard output.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self._check_migrations()
        self._static_files(collect=options["collectstatic"], verbosity=options["verbosity"])
        # Forked workers must not share the master's database connections.
        connections.close_all()

        workers = options["workers"] or default_workers()
        host = options["host"]
        bind = f"[{host}]:{options['port']}" if ":" in host else f"{host}:{options['port']}"
        config = {
            "bind": bind,
            "workers": workers,
            "threads": options["threads"],
            "timeout": options["timeout"],
            "accesslog": "-" if options["access_log"] else None,
            "errorlog": "-",
            "proc_name": "rapport",
            # No gunicornc control socket in $HOME: two servers on one machine would share it.
            "control_socket_disable": True,
        }
        self.stdout.write(
            self.style.SUCCESS(f"Serving Rapport on http://{bind}/ ")
            + f"({workers} worker{'s' if workers != 1 else ''}; Ctrl+C stops it)"
        )
        _GunicornApp(config).run()

    def _check_migrations(self) -> None:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            names = [f"{migration.app_label}.{migration.name}" for migration, _ in plan]
            more = f" and {len(names) - 3} more" if len(names) > 3 else ""
            listed = ", ".join(names[:3]) + more
            raise CommandError(
                f"The database is not up to date: {listed} not applied. "
                "Run `rapport migrate` first."
            )
        self.stdout.write("Database: all migrations applied.")

    def _static_files(self, *, collect: bool, verbosity: int) -> None:
        if getattr(settings, "WHITENOISE_USE_FINDERS", False):
            # Local mode: WhiteNoise serves the apps' static directories directly; it only wants
            # STATIC_ROOT to exist.
            Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
            self.stdout.write("Static files: served from the apps (local mode).")
            return
        if not collect:
            self.stdout.write(f"Static files: using {settings.STATIC_ROOT} as it is.")
            return
        self.stdout.write(f"Static files: collecting into {settings.STATIC_ROOT} …")
        call_command("collectstatic", interactive=False, verbosity=max(verbosity - 1, 0))


class _GunicornApp(BaseApplication):
    """Gunicorn's application fed from a dict instead of gunicorn's own command line."""

    def __init__(self, config: dict[str, object]) -> None:
        self.config = config
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.config.items():
            if value is not None and key in self.cfg.settings:  # older gunicorns lack some
                self.cfg.set(key, value)

    def load(self) -> Any:
        from rapport.wsgi import application

        return application
