"""Setting up an invited candidate and talking to the candidate-side endpoints."""

from __future__ import annotations

import io
import json
import wave
from dataclasses import dataclass

import httpx

from tests import factories
from tests.graphql_client import GraphQLClient

CONSENT = """
mutation($input: InterviewConsentRecordInput!) {
  interviewConsentRecord(input: $input) { consent { aiProcessing biometric } errors { field message code } }
}"""

SUBMIT = """
mutation($input: InterviewSubmitInput!) {
  interviewSubmit(input: $input) { invitation { status submittedAt } errors { field message code } }
}"""

INVITATION = """
query($token: String!) {
  invitation(token: $token) {
    interviewId requisitionTitle status statusReason consent { aiProcessing biometric }
    questions { questionId position promptZh promptEn timeLimitSeconds answered answerContentType answerBytes }
  }
}"""

UPLOAD = """
mutation($input: InterviewAnswerUploadInput!) {
  interviewAnswerUpload(input: $input) {
    invitation { status questions { questionId answered answerContentType answerBytes } }
    errors { field message code }
  }
}"""

RESCORE = """
mutation($input: InterviewRescoreInput!) {
  interviewRescore(input: $input) { interview { id status } errors { field message code } }
}"""


@dataclass
class InvitedCandidate:
    token: str
    interview_id: str
    application_id: str
    question_ids: list[str]


async def invited_candidate(gql: GraphQLClient, model: dict | None = None) -> InvitedCandidate:
    """A new candidate invited to the model's requisition (created on first use and reused after)."""
    model = model or await factories.create_model(gql)
    if "requisition_id" not in model:
        model["requisition_id"] = await factories.create_requisition(gql, model["version_id"], headcount=10)
    requisition_id = model["requisition_id"]
    application_id = await factories.apply(gql, await factories.create_candidate(gql), requisition_id)
    invitation = await factories.invite(gql, application_id)
    return InvitedCandidate(
        token=invitation["invitationToken"],
        interview_id=invitation["interview"]["id"],
        application_id=application_id,
        question_ids=[edge["node"]["question"]["id"] for edge in invitation["interview"]["questions"]["edges"]],
    )


async def give_consent(gql: GraphQLClient, token: str, *, biometric: bool = True) -> dict:
    return await gql.mutate(
        CONSENT,
        "interviewConsentRecord",
        input={"invitationToken": token, "aiProcessing": True, "biometric": biometric, "noticeVersion": "2026-01"},
    )


def wav_bytes(seconds: float = 0.5, sample_rate: int = 16_000) -> bytes:
    """A real (silent) WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(sample_rate)
        audio.writeframes(b"\0\0" * int(seconds * sample_rate))
    return buffer.getvalue()


async def put_answer(http: httpx.AsyncClient, token: str, question_id: str, body: bytes) -> httpx.Response:
    return await http.put(f"/interview/{token}/answers/{question_id}", content=body)


async def multipart_upload(http: httpx.AsyncClient, token: str, question_id: str, body: bytes, filename: str) -> dict:
    """A GraphQL multipart request (the spec used by Apollo and urql upload links)."""
    operations = {
        "query": UPLOAD,
        "variables": {"input": {"invitationToken": token, "questionId": question_id, "file": None}},
    }
    response = await http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.input.file"]})},
        files={"0": (filename, body, "application/octet-stream")},
        headers={"Apollo-Require-Preflight": "true"},  # CSRF protection of multipart requests
    )
    assert response.status_code == 200, response.text
    return response.json()


def teller_cash_question() -> dict:
    """The cash-count question in both languages; each rubric entry is one concept, alternatives in both."""
    from tests.pipeline.media_factory import (
        TELLER_QUESTION_EN,
        TELLER_QUESTION_ZH,
        TELLER_RUBRIC_EN,
        TELLER_RUBRIC_ZH,
        TELLER_SAMPLE_ANSWER_EN,
        TELLER_SAMPLE_ANSWER_ZH,
    )

    return {
        "promptZh": TELLER_QUESTION_ZH,
        "promptEn": TELLER_QUESTION_EN,
        "timeLimitSeconds": 120,
        "rubricKeywords": [*TELLER_RUBRIC_EN, *TELLER_RUBRIC_ZH],
        "excellentAnswers": [TELLER_SAMPLE_ANSWER_EN, TELLER_SAMPLE_ANSWER_ZH],
    }


async def teller_model(gql: GraphQLClient, questions_per_dimension: int = 1) -> dict:
    """A one-dimension model (service awareness, 100 %) asking the cash-count question."""
    dimensions = [
        {
            "key": "service",
            "nameZh": "服务意识",
            "nameEn": "Service awareness",
            "weight": 1.0,
            "questions": [teller_cash_question() for _ in range(questions_per_dimension)],
        }
    ]
    return await factories.create_model(gql, dimensions=dimensions)


async def wait_for_status(interview_id: str, *statuses: str, timeout: float = 180.0):
    """Poll the database until the interview reaches one of ``statuses`` (e.g. "scored", "failed")."""
    import asyncio
    import time

    from gateway.models import Interview
    from tests.db_helpers import fetch

    deadline = time.monotonic() + timeout
    while True:
        interview = await fetch(Interview, interview_id)
        if interview.status.value in statuses:
            return interview
        assert time.monotonic() < deadline, f"interview still {interview.status.value} after {timeout}s"
        await asyncio.sleep(0.2)


def submit_over_http(base_url: str, token: str) -> dict:
    """``interviewSubmit`` sent to a running gateway process; returns the payload."""
    response = httpx.post(
        f"{base_url}/graphql",
        timeout=30,
        json={
            "query": "mutation($t: String!) { interviewSubmit(input: {invitationToken: $t}) "
            "{ invitation { status } errors { code } } }",
            "variables": {"t": token},
        },
    )
    return response.json()["data"]["interviewSubmit"]
