"""``rapport worker``: runs background jobs (django-tasks-db's ``db_worker`` under Rapport's name).

Start as many as needed, on as many machines as needed: with PostgreSQL they claim jobs with
``SELECT … FOR UPDATE SKIP LOCKED``. Every option of ``db_worker`` is accepted
(``--queue-name``, ``--batch``, ``--max-tasks``, ``--interval``, ``--worker-id`` …).
"""

from __future__ import annotations

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand


class Command(DbWorkerCommand):
    help = "Run background jobs from the database queue (see `rapport worker --help`)."
