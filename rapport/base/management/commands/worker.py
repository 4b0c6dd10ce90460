"""``rapport worker``: runs background jobs (django-tasks-db's ``db_worker`` under Rapport's name).

Start as many as needed, on as many machines as needed: with PostgreSQL they claim jobs with
``SELECT … FOR UPDATE SKIP LOCKED``. Every option of ``db_worker`` is accepted
(``--queue-name``, ``--batch``, ``--max-tasks``, ``--interval``, ``--worker-id`` …).

Nightly jobs: each worker checks once a minute (with ``--batch``, once at start) whether tonight's
pass (``rapport.outreach.jobs.nightly``: client scores, then the contact-plan re-plan; after
03:00 server time) is queued for today's date, and queues it if not; the date is claimed in the
database, so however many workers run, it is queued once.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from django.db import DatabaseError, connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

logger = logging.getLogger("rapport.worker")
NIGHTLY_CHECK_SECONDS = 60.0


def nightly_check() -> bool:
    """Queue the nightly jobs that are due (see :func:`rapport.outreach.jobs.nightly_enqueue`)."""
    from rapport.outreach.jobs import nightly_enqueue

    try:
        queued = nightly_enqueue()
    except DatabaseError:  # a locked SQLite file, a lost connection: try again next minute
        logger.exception("nightly check failed")
        return False
    if queued:
        logger.info("queued the nightly re-plan")
    return queued


def _nightly_loop(stop: threading.Event) -> None:
    while not stop.is_set():
        nightly_check()
        connection.close()  # this thread's own connection: never keep it open while idle
        stop.wait(NIGHTLY_CHECK_SECONDS)


class Command(DbWorkerCommand):
    help = "Run background jobs from the database queue (see `rapport worker --help`)."

    def handle(self, *args: Any, **options: Any) -> None:
        reloading = options.get("reload") and not options.get("batch")
        if options.get("batch"):
            nightly_check()
        elif not reloading or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            stop = threading.Event()
            threading.Thread(
                target=_nightly_loop, args=(stop,), name="nightly", daemon=True
            ).start()
        super().handle(*args, **options)
