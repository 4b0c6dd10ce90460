"""The ``rapport`` command: Django's management commands under one name.

``rapport demo``, ``rapport serve``, ``rapport bench …`` are Rapport's own; ``rapport migrate``,
``rapport createsuperuser`` and every other Django command work as with ``manage.py``.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["rapport", *(sys.argv[1:] if argv is None else argv)])
    except BrokenPipeError:
        # `rapport agenda … | head`: the reader left; stop quietly, as Unix tools do (the
        # Python documentation's recipe: point stdout at devnull so the exit flush succeeds).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)


if __name__ == "__main__":
    main()
