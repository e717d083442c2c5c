"""Expected failures of domain operations, carried to clients as typed payload errors."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel


class ErrorCode(str, Enum):
    INVALID = "invalid"
    REQUIRED = "required"
    INVALID_ID = "invalid_id"
    WRONG_TYPE = "wrong_type"
    NOT_FOUND = "not_found"
    ALREADY_EXISTS = "already_exists"
    WEIGHTS_DO_NOT_SUM_TO_ONE = "weights_do_not_sum_to_one"
    VERSION_FROZEN = "version_frozen"
    ILLEGAL_TRANSITION = "illegal_transition"
    REQUISITION_CLOSED = "requisition_closed"
    HEADCOUNT_FILLED = "headcount_filled"
    INTERVIEW_ALREADY_ACTIVE = "interview_already_active"
    KPI_NOT_ASSIGNED = "kpi_not_assigned"
    INVALID_PERIOD = "invalid_period"
    INVITATION_INVALID = "invitation_invalid"
    INVITATION_EXPIRED = "invitation_expired"
    INVITATION_USED = "invitation_used"
    INVITATION_REVOKED = "invitation_revoked"
    QUESTION_NOT_IN_INTERVIEW = "question_not_in_interview"
    CONSENT_REQUIRED = "consent_required"
    ANSWERS_MISSING = "answers_missing"
    UPLOAD_TOO_LARGE = "upload_too_large"
    UNSUPPORTED_MEDIA = "unsupported_media"
    EMPTY_UPLOAD = "empty_upload"
    STORAGE_FULL = "storage_full"
    """The media store has no space left: nothing was stored; upload again later (HTTP 507)."""
    STORAGE_UNAVAILABLE = "storage_unavailable"
    """The media store cannot be reached: nothing was stored; upload again in a few minutes (HTTP 503)."""
    NOT_RESCORABLE = "not_rescorable"
    REPORT_NOT_READY = "report_not_ready"
    ALREADY_RESOLVED = "already_resolved"
    DUPLICATE_ROW = "duplicate_row"
    TOO_MANY_ROWS = "too_many_rows"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    NOT_ENOUGH_DATA = "not_enough_data"
    KPI_NOT_LINKED = "kpi_not_linked"


@dataclass(frozen=True)
class FieldError:
    field: str | None
    """Path of the offending input field in GraphQL spelling, e.g. ``dimensions.1.weight``."""
    message: str
    code: ErrorCode


class DomainError(Exception):
    """Raised by services for input a client can fix; the unit of work rolls back."""

    def __init__(self, *errors: FieldError) -> None:
        super().__init__("; ".join(error.message for error in errors))
        self.errors = list(errors)

    @classmethod
    def single(cls, field: str | None, message: str, code: ErrorCode) -> DomainError:
        return cls(FieldError(field, message, code))


def not_found(field: str, what: str) -> DomainError:
    return DomainError.single(field, f"{what} not found", ErrorCode.NOT_FOUND)


Draft = TypeVar("Draft", bound=BaseModel)


def _field_path(location: tuple[int | str, ...]) -> str:
    return ".".join(to_camel(part) if isinstance(part, str) else str(part) for part in location)


def validate_draft(draft_type: type[Draft], data: dict) -> Draft:
    """Validate raw input with a non-table model, turning pydantic errors into field errors."""
    try:
        return draft_type.model_validate(data)
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            code = ErrorCode.REQUIRED if error["type"] == "missing" else ErrorCode.INVALID
            custom_code = (error.get("ctx") or {}).get("code")
            if isinstance(custom_code, ErrorCode):
                code = custom_code
            errors.append(FieldError(_field_path(error["loc"]) or None, error["msg"], code))
        raise DomainError(*errors) from None
