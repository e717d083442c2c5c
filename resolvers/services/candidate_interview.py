"""The candidate's side of an AI interview, reached only through the invitation token.

Read the questions, record consent (AI processing and, separately, biometric
analysis), upload one recording per question, submit. Submitting commits the
interview as queued and, after the commit, sends one scoring job (ids only).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway import jobs
from gateway.db import UnitOfWork, read_session, unit_of_work
from gateway.models import Answer, Application, ConsentRecord, Interview, InterviewQuestion, Question, Requisition
from gateway.models.base import utcnow
from gateway.models.enums import ConsentKind, InterviewStatus
from gateway.models.events import DomainEventType
from gateway.storage import (
    MediaStore,
    StorageError,
    StorageFull,
    StorageUnavailable,
    StoredMedia,
    UploadRejected,
    save_upload,
)
from resolvers.errors import DomainError, ErrorCode, FieldError
from resolvers.services.audit import Actor, record_audit
from resolvers.services.interview_status import interview_event_payload, move_interview
from resolvers.services.invitations import hash_token
from resolvers.services.outbox import record_event
from resolvers.services.policy import OPEN_FOR_ANSWERS, invitation_decision
from resolvers.services.scoring_deadlines import SCORING_SWEEP, job_lost

logger = logging.getLogger(__name__)

SCORING_ACTOR = "score_interview"
TOKEN_FIELD = "invitationToken"
UPLOAD_STORE_FULL = (
    "the recording could not be stored: the media store is full. Nothing was saved and your earlier "
    "recordings are kept; please upload it again later"
)
UPLOAD_STORE_UNAVAILABLE = (
    "the recording could not be stored: the media store is unavailable right now. Nothing was saved and "
    "your earlier recordings are kept; please upload it again in a few minutes"
)
ALREADY_SUBMITTED = (InterviewStatus.SUBMITTED, InterviewStatus.QUEUED, InterviewStatus.SCORING, InterviewStatus.SCORED)
"""A submit of an interview in one of these answers success again and changes nothing (idempotent)."""

_UPLOAD_CODES = {
    "too_large": ErrorCode.UPLOAD_TOO_LARGE,
    "unsupported_media": ErrorCode.UNSUPPORTED_MEDIA,
    "empty": ErrorCode.EMPTY_UPLOAD,
}


@dataclass(frozen=True)
class ConsentState:
    ai_processing: bool
    biometric: bool


@dataclass(frozen=True)
class CandidateInterview:
    """What a candidate may see: their interview, its questions (prompts only) and their answers."""

    interview: Interview
    requisition: Requisition
    questions: list[Question]
    answers: dict[int, Answer]
    consent: ConsentState


def candidate_actor(interview: Interview) -> Actor:
    return Actor(f"candidate:interview:{interview.id}", "candidate", kind="candidate", interview_id=interview.id)


async def open_invitation(
    token: str,
    *,
    session: AsyncSession,
    for_update: bool = False,
    allowed: tuple[InterviewStatus, ...] = OPEN_FOR_ANSWERS,
) -> tuple[Interview, Application]:
    """The interview behind a token, if the access policy lets the token act (genuine, unexpired, active, and in one
    of the ``allowed`` statuses: ``resolvers.services.policy.invitation_decision``)."""
    statement = select(Interview).where(Interview.token_hash == hash_token(token or ""))
    if for_update:
        statement = statement.with_for_update()
    interview = (await session.exec(statement)).first()
    application = await session.get(Application, interview.application_id) if interview is not None else None
    decision = invitation_decision(interview, application, allowed=allowed)
    if not decision.allowed:
        raise DomainError.single(TOKEN_FIELD, decision.reason or "", ErrorCode[decision.code or "INVITATION_INVALID"])
    assert interview is not None and application is not None
    return interview, application


async def consent_state(candidate_id: int, *, session: AsyncSession) -> ConsentState:
    """The latest record of each kind decides (consent can be withdrawn by a later record)."""
    records = (
        await session.exec(
            select(ConsentRecord).where(ConsentRecord.candidate_id == candidate_id).order_by(col(ConsentRecord.id))
        )
    ).all()
    latest = {record.kind: record.granted for record in records}
    return ConsentState(
        ai_processing=latest.get(ConsentKind.AI_PROCESSING, False), biometric=latest.get(ConsentKind.BIOMETRIC, False)
    )


async def interview_questions(interview_id: int, *, session: AsyncSession) -> list[Question]:
    rows = await session.exec(
        select(Question)
        .join(InterviewQuestion, col(InterviewQuestion.question_id) == Question.id)
        .where(InterviewQuestion.interview_id == interview_id)
        .order_by(col(InterviewQuestion.position))
    )
    return list(rows.all())


async def interview_answers(interview_id: int, *, session: AsyncSession) -> dict[int, Answer]:
    rows = await session.exec(select(Answer).where(Answer.interview_id == interview_id))
    return {answer.question_id: answer for answer in rows.all()}


async def view_interview(token: str) -> CandidateInterview:
    """Any non-expired interview of the token, whatever its status (the candidate follows its progress)."""
    async with read_session() as session:
        interview, application = await open_invitation(token, session=session, allowed=tuple(InterviewStatus))
        requisition = await session.get(Requisition, application.requisition_id)
        assert requisition is not None
        return CandidateInterview(
            interview=interview,
            requisition=requisition,
            questions=await interview_questions(interview.id, session=session),
            answers=await interview_answers(interview.id, session=session),
            consent=await consent_state(application.candidate_id, session=session),
        )


async def record_consent(
    token: str, *, ai_processing: bool, biometric: bool, notice_version: str, uow: UnitOfWork
) -> ConsentState:
    """Append the candidate's two separate consents (PIPL art. 29: biometric data needs its own)."""
    if not notice_version.strip() or len(notice_version) > 32:
        raise DomainError.single(
            "noticeVersion", "give the version of the notice shown (≤ 32 characters)", ErrorCode.INVALID
        )
    interview, application = await open_invitation(token, session=uow.session)
    for kind, granted in ((ConsentKind.AI_PROCESSING, ai_processing), (ConsentKind.BIOMETRIC, biometric)):
        uow.session.add(
            ConsentRecord(
                candidate_id=application.candidate_id, kind=kind, notice_version=notice_version, granted=granted
            )
        )
    record_audit(
        session=uow.session,
        actor=candidate_actor(interview),
        action="consent.record",
        entity_type="Candidate",
        entity_id=application.candidate_id,
        details={"ai_processing": ai_processing, "biometric": biometric, "notice_version": notice_version},
    )
    return ConsentState(ai_processing=ai_processing, biometric=biometric)


async def check_upload_allowed(token: str, question_id: int) -> Interview:
    """Refuse early (a resumable upload session is opened only if its recording could be linked)."""
    async with read_session() as session:
        interview, application = await open_invitation(token, session=session)
        if question_id not in {question.id for question in await interview_questions(interview.id, session=session)}:
            raise DomainError.single(
                "questionId", "this question is not part of the interview", ErrorCode.QUESTION_NOT_IN_INTERVIEW
            )
        if not (await consent_state(application.candidate_id, session=session)).ai_processing:
            raise DomainError.single(
                TOKEN_FIELD,
                "consent to AI processing is needed before recordings can be uploaded",
                ErrorCode.CONSENT_REQUIRED,
            )
        return interview


async def upload_answer(
    token: str, question_id: int, chunks: AsyncIterator[bytes], *, store: MediaStore, max_bytes: int
) -> Answer:
    """Stream one recording to the media store, then point the answer at it.

    The recording is validated before the store sees it (``gateway.storage.save_upload``); a full or
    unreachable store is a typed error (``STORAGE_FULL``, ``STORAGE_UNAVAILABLE``) and changes nothing:
    the answer keeps the recording it had. The file is written before the transaction and removed again if the
    transaction fails; the recording it replaces is removed only after commit.
    Parallel uploads to one answer each replace exactly the recording they
    read (a compare-and-set on ``media_uri``, retried on conflict), so every
    replaced file is deleted and only the linked one stays on disk.
    """
    interview = await check_upload_allowed(token, question_id)
    try:
        stored = await save_upload(store, f"interviews/{interview.id}/{question_id}", chunks, max_bytes=max_bytes)
    except UploadRejected as rejected:
        raise DomainError.single("file", rejected.message, _UPLOAD_CODES[rejected.reason]) from None
    except StorageFull:
        raise DomainError.single("file", UPLOAD_STORE_FULL, ErrorCode.STORAGE_FULL) from None
    except StorageUnavailable:
        raise DomainError.single("file", UPLOAD_STORE_UNAVAILABLE, ErrorCode.STORAGE_UNAVAILABLE) from None
    try:
        for attempt in range(1, ATTACH_ATTEMPTS + 1):
            try:
                async with unit_of_work() as uow:
                    answer, replaced_uri = await _attach_media(token, question_id, stored, uow=uow)
                    if replaced_uri and replaced_uri != stored.uri:
                        uow.after_commit(lambda uri=replaced_uri: _delete_quietly(store, uri))
                break
            except (_AnswerChanged, IntegrityError):
                if attempt == ATTACH_ATTEMPTS:
                    raise
    except BaseException:
        await _delete_quietly(store, stored.uri)
        raise
    return answer


async def _delete_quietly(store: MediaStore, uri: str) -> None:
    """Remove a recording no answer points at; a store outage leaves it for a person (logged), and never
    turns into an error of the upload (after commit, the new recording is linked and must stay)."""
    try:
        await store.delete(uri)
    except StorageError:
        logger.warning("could not delete the unlinked recording %s; delete it by hand", uri, exc_info=True)


ATTACH_ATTEMPTS = 20
"""Tries to link an upload when parallel uploads to the same answer keep winning the race (one per rival)."""


class _AnswerChanged(Exception):
    """Another upload replaced the answer's recording between our read and our write: read again."""


async def _attach_media(
    token: str, question_id: int, stored: StoredMedia, *, uow: UnitOfWork
) -> tuple[Answer, str | None]:
    interview, _ = await open_invitation(token, session=uow.session, for_update=True)
    answer = (
        await uow.session.exec(
            select(Answer).where(Answer.interview_id == interview.id, Answer.question_id == question_id)
        )
    ).first()
    replaced_uri = answer.media_uri if answer else None
    values = {
        "media_uri": stored.uri,
        "media_content_type": stored.content_type,
        "media_bytes": stored.size_bytes,
        "media_sha256": stored.sha256,
        "uploaded_at": utcnow(),
        "duration_seconds": None,
        "transcript": None,
        "language": None,
        "error": None,
        "features": {},
    }
    if answer is None:  # a rival insert fails on the (interview, question) unique key and is retried
        answer = Answer(interview_id=interview.id, question_id=question_id, **values)
        uow.session.add(answer)
    else:  # compare-and-set: SQLite takes no row lock, so the row may have changed since it was read
        connection = await uow.session.connection()
        changed = await connection.execute(
            update(Answer)
            .where(col(Answer.id) == answer.id, col(Answer.media_uri).is_not_distinct_from(replaced_uri))
            .values(**values)
        )
        if changed.rowcount != 1:
            raise _AnswerChanged
        await uow.session.refresh(answer)
    if interview.status is not InterviewStatus.IN_PROGRESS:
        move_interview(interview, InterviewStatus.IN_PROGRESS, uow=uow)
    record_audit(
        session=uow.session,
        actor=candidate_actor(interview),
        action="answer.upload",
        entity_type="Interview",
        entity_id=interview.id,
        details={"question_id": question_id, "bytes": stored.size_bytes, "type": stored.content_type},
    )
    await uow.session.flush()
    return answer, replaced_uri


async def submit(token: str, *, uow: UnitOfWork) -> Interview:
    """All questions answered and consent given: commit as queued, then enqueue scoring.

    Idempotent: the same submit repeated (a retry after a lost answer, or two racing on two gateways)
    answers with the interview as it is and sends no second job. The move is a compare-and-set on the
    status read, so of two racing submits exactly one queues the interview, on SQLite too (no row lock).
    """
    interview, application = await open_invitation(
        token, session=uow.session, for_update=True, allowed=OPEN_FOR_ANSWERS + ALREADY_SUBMITTED
    )
    if interview.status in ALREADY_SUBMITTED:
        return interview
    if not (await consent_state(application.candidate_id, session=uow.session)).ai_processing:
        raise DomainError.single(TOKEN_FIELD, "consent to AI processing is missing", ErrorCode.CONSENT_REQUIRED)
    questions = await interview_questions(interview.id, session=uow.session)
    answers = await interview_answers(interview.id, session=uow.session)
    missing = [position for position, question in enumerate(questions) if question.id not in answers]
    if missing:
        raise DomainError(
            *(
                FieldError("answers", f"no recording yet for question {position + 1}", ErrorCode.ANSWERS_MISSING)
                for position in missing
            )
        )
    submitted_at = utcnow()
    connection = await uow.session.connection()
    claimed = await connection.execute(
        update(Interview)
        .where(col(Interview.id) == interview.id, col(Interview.status) == interview.status)
        .values(submitted_at=submitted_at)
    )
    if claimed.rowcount != 1:  # a rival submit committed first: answer as it did
        await uow.session.refresh(interview)
        if interview.status in ALREADY_SUBMITTED:
            return interview
        raise DomainError.single(
            TOKEN_FIELD, "the interview changed while it was being submitted; submit again", ErrorCode.INVALID
        )
    interview.submitted_at = submitted_at
    if interview.status is not InterviewStatus.IN_PROGRESS:
        move_interview(interview, InterviewStatus.IN_PROGRESS, uow=uow)
    move_interview(interview, InterviewStatus.SUBMITTED, uow=uow)
    move_interview(interview, InterviewStatus.QUEUED, uow=uow, answers_scored=0, answers_total=len(questions))
    interview.scoring_requeues = 0
    record_audit(
        session=uow.session,
        actor=candidate_actor(interview),
        action="interview.submit",
        entity_type="Interview",
        entity_id=interview.id,
    )
    record_event(
        uow.session,
        DomainEventType.INTERVIEW_SUBMITTED,
        interview.id,
        interview_event_payload(interview),
        actor=candidate_actor(interview).name,
        requisition_id=application.requisition_id,
    )
    interview_id = interview.id
    uow.after_commit(lambda: send_scoring_job(interview_id))
    return interview


def send_scoring_job(interview_id: int) -> None:
    """After commit: a broker that cannot take the job leaves the interview QUEUED for the scoring sweep, and the
    candidate's (or recruiter's) committed request still succeeds."""
    jobs.send_or_defer(SCORING_ACTOR, interview_id, deferred_to=SCORING_SWEEP)


async def rescore(interview_id: int, *, uow: UnitOfWork, actor: Actor) -> Interview:
    """Queue a scored or failed interview again; the worker scores it with its current pipeline version.

    An interview stuck in QUEUED or SCORING past its deadline (``scoring_deadlines.job_lost``: its job was lost)
    may be re-scored too, without waiting for the sweep. One still within its deadline is refused: its job is
    presumably on its way, and a second would only race it."""
    interview = await uow.session.get(Interview, interview_id, with_for_update=True)
    if interview is None:
        raise DomainError.single("interviewId", "interview not found", ErrorCode.NOT_FOUND)
    finished = interview.status in (InterviewStatus.SCORED, InterviewStatus.FAILED)
    if interview.submitted_at is None or not (finished or job_lost(interview)):
        waiting = interview.status in (InterviewStatus.QUEUED, InterviewStatus.SCORING)
        raise DomainError.single(
            "interviewId",
            f"this interview is {interview.status.value} and within its scoring deadline; re-score it once that "
            "has passed"
            if waiting and interview.submitted_at is not None
            else "only submitted interviews that are scored or failed (or stuck past their scoring deadline) can be "
            f"re-scored (it is {interview.status.value})",
            ErrorCode.NOT_RESCORABLE,
        )
    was = interview.status
    answers = await interview_answers(interview.id, session=uow.session)
    total = len(await interview_questions(interview.id, session=uow.session))
    move_interview(interview, InterviewStatus.QUEUED, uow=uow, answers_scored=0, answers_total=total)
    interview.status_changed_at = utcnow()  # also when it was QUEUED already: the deadline starts again
    interview.scoring_requeues = 0
    record_audit(
        session=uow.session,
        actor=actor,
        action="interview.rescore",
        entity_type="Interview",
        entity_id=interview.id,
        details={"answers": len(answers), "from": was.value},
    )
    uow.after_commit(lambda: send_scoring_job(interview_id))
    return interview
