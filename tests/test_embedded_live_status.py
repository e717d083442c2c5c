"""The embedded default, as a newcomer runs it: one ``hrgate serve`` process with its in-process worker
and in-process pub/sub; a graphql-transport-ws client sees queued → scoring → scored."""

from __future__ import annotations

import asyncio
import os

from tests import processes
from tests.interview_helpers import give_consent, invited_candidate, put_answer, submit_over_http, teller_model
from tests.test_distributed_scoring import StatusListener


async def test_subscription_follows_an_interview_scored_inside_the_gateway(gql, http, test_media, tmp_path):
    model = await teller_model(gql)
    invited = await invited_candidate(gql, model)
    await give_consent(gql, invited.token, biometric=False)
    response = await put_answer(
        http, invited.token, invited.question_ids[0], test_media.english_relevant_wav.read_bytes()
    )
    assert response.status_code == 201

    env = {key: value for key, value in os.environ.items() if key not in ("HRGATE_BROKER_URL", "HRGATE_PUBSUB_URL")}
    with processes.gateway(env, tmp_path / "gateway.log") as base_url:
        ws_url = base_url.replace("http://", "ws://") + "/graphql"
        async with StatusListener(ws_url, invited.interview_id, {"invitationToken": invited.token}) as listener:
            await listener.wait_for(lambda event: event["status"] == "IN_PROGRESS", timeout=10)
            submitted = await asyncio.to_thread(submit_over_http, base_url, invited.token)
            assert submitted["errors"] == []
            scored = await listener.wait_for(lambda event: event["status"] in ("SCORED", "FAILED"), timeout=180)
        assert scored["status"] == "SCORED" and scored["answersScored"] == scored["answersTotal"] == 1
        statuses = [event["status"] for event in listener.events]
        assert statuses == ["IN_PROGRESS", "SUBMITTED", "QUEUED", "SCORING", "SCORING", "SCORED"], listener.events
