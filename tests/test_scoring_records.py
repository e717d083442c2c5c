"""The worker's database side without models: compare-and-set claim, and a claim lost mid-scoring."""

from __future__ import annotations

import pytest

from gateway.models import Answer, Interview
from resolvers.services import scoring_records as records
from tests.db_helpers import fetch, global_id, node_id, row_count
from tests.interview_helpers import SUBMIT, give_consent, invited_candidate, put_answer, wav_bytes


async def _submitted(gql, http):
    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token, biometric=False)
    for question_id in invited.question_ids:
        assert (await put_answer(http, invited.token, question_id, wav_bytes())).status_code == 201
    assert (await gql(SUBMIT, input={"invitationToken": invited.token}))["interviewSubmit"]["errors"] == []
    return invited


async def test_claim_is_a_compare_and_set(gql, http):
    invited = await invited_candidate(gql)
    assert await records.claim(node_id(invited.interview_id)) is None  # invited, not queued: nothing to do
    invited = await _submitted(gql, http)
    job = await records.claim(node_id(invited.interview_id))
    assert job is not None and len(job.answers) == 3 and job.dimensions[0].weight == 0.4
    redelivered = await records.claim(node_id(invited.interview_id))  # a dead worker's message, delivered again
    assert redelivered is not None
    assert (await fetch(Interview, invited.interview_id)).scoring_attempts == 2


async def test_a_lost_claim_writes_nothing(gql, http):
    invited = await _submitted(gql, http)
    job = await records.claim(node_id(invited.interview_id))
    await records.mark_failed(job.interview_id, "erased on request")
    with pytest.raises(records.ClaimLost):
        await records.save_answer_evidence(
            job,
            job.answers[0].answer_id,
            transcript="secret words",
            language="en",
            duration_seconds=3.0,
            features={},
            answers_scored=1,
        )
    answer = await fetch(Answer, global_id("Answer", job.answers[0].answer_id))
    assert answer.transcript is None
    assert await row_count(Answer) == 3
