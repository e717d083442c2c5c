"""Streaming upload of an answer recording over plain HTTP, for candidate apps that prefer it to multipart.

``PUT /interview/{token}/answers/{questionId}`` with the raw recording as the body.
Part of the composition root (it calls the domain services directly).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from strawberry import relay

from gateway.settings import get_settings
from gateway.storage import get_media_store
from resolvers.errors import DomainError, ErrorCode
from resolvers.services.candidate_interview import upload_answer

_STATUS = {
    ErrorCode.INVITATION_INVALID: 401,
    ErrorCode.INVITATION_EXPIRED: 401,
    ErrorCode.INVITATION_USED: 409,
    ErrorCode.INVITATION_REVOKED: 403,
    ErrorCode.CONSENT_REQUIRED: 403,
    ErrorCode.QUESTION_NOT_IN_INTERVIEW: 404,
    ErrorCode.INVALID_ID: 404,
    ErrorCode.WRONG_TYPE: 404,
    ErrorCode.UPLOAD_TOO_LARGE: 413,
    ErrorCode.UNSUPPORTED_MEDIA: 415,
    ErrorCode.EMPTY_UPLOAD: 400,
    ErrorCode.STORAGE_FULL: 507,
    ErrorCode.STORAGE_UNAVAILABLE: 503,
}
RETRY_AFTER_SECONDS = {503: "60", 507: "300"}
"""A store outage is temporary: the client is told when to upload again."""


NO_STORE = {"cache-control": "no-store"}
"""The answer describes the candidate's recording: no cache may keep it."""


def question_id_of(value: str) -> int:
    try:
        global_id = relay.GlobalID.from_id(value)
        if global_id.type_name == "Question":
            return int(global_id.node_id)
    except Exception:  # noqa: BLE001 - any malformed ID is refused the same way
        pass
    raise DomainError.single("questionId", f"'{value}' is not the ID of a question", ErrorCode.INVALID_ID)


def error_response(error: DomainError, headers: dict[str, str] | None = None) -> JSONResponse:
    """The refusal as JSON (``field``, ``message``, ``code`` like a payload's errors), with its HTTP status."""
    status = max(_STATUS.get(field_error.code, 400) for field_error in error.errors)
    headers = dict(headers or NO_STORE)
    if status in RETRY_AFTER_SECONDS:
        headers["retry-after"] = RETRY_AFTER_SECONDS[status]
    return JSONResponse(
        {"errors": [{"field": e.field, "message": e.message, "code": e.code.name} for e in error.errors]},
        status_code=status,
        headers=headers,
    )


async def put_answer(request: Request) -> JSONResponse:
    settings = get_settings()
    declared = request.headers.get("content-length")
    try:
        if declared and declared.isdigit() and int(declared) > settings.max_upload_bytes:
            raise DomainError.single(
                "file", f"the recording is larger than {settings.max_upload_bytes} bytes", ErrorCode.UPLOAD_TOO_LARGE
            )
        question_id = question_id_of(request.path_params["question_id"])
        answer = await upload_answer(
            request.path_params["token"],
            question_id,
            request.stream(),
            store=get_media_store(),
            max_bytes=settings.max_upload_bytes,
        )
    except DomainError as error:
        return error_response(error)
    return JSONResponse(
        {
            "answer": {
                "questionId": str(relay.GlobalID("Question", str(answer.question_id))),
                "contentType": answer.media_content_type,
                "bytes": answer.media_bytes,
                "sha256": answer.media_sha256,
            }
        },
        status_code=201,
        headers=NO_STORE,
    )
