"""Every error as JSON: services' ``ValidationError`` become 400 with field-level messages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from rapport.api.services import IdempotencyConflict


class Conflict(exceptions.APIException):
    """The idempotency key was used before for something else."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This was already recorded with other content.")
    default_code = "conflict"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, after translating the exceptions our services raise."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, IdempotencyConflict):
        exc = Conflict(detail=exc.errors)  # type: ignore[arg-type]
    return drf_exception_handler(exc, context)
