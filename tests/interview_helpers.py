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
    model = model or await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"])
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
        CONSENT, "interviewConsentRecord",
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
    )
    assert response.status_code == 200, response.text
    return response.json()
