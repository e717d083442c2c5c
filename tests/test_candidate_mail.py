"""Invitations and reminders reach candidates by e-mail (issue 13, item 5).

The tests speak SMTP to a real server (aiosmtpd) and read what it received; the embedded default writes
``.eml`` files to the outbox folder. Refusal, timeout, bounce, retries, redelivery and opt-out each have a test.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import time
from datetime import timedelta
from email import message_from_bytes, policy

import dramatiq
import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col, select

import workers.actors
from gateway.db import read_session, unit_of_work
from gateway.mail import OutboxTransport, SmtpConfig, SmtpTransport, build_transport
from gateway.models import Application, Candidate, Interview, InterviewNotification
from gateway.models.base import utcnow
from gateway.models.enums import DeliveryStatus, InterviewStatus, NotificationKind
from gateway.settings import Settings, get_settings
from resolvers.services.audit import ANONYMOUS
from resolvers.services.mail_templates import CHINA_STANDARD_TIME, time_per_question
from resolvers.services.notifications import INTERRUPTED, Outcome, deliver, sweep
from schema.ids import decode_id, encode_id
from tests import factories, processes
from tests.graphql_client import GraphQLClient
from tests.interview_helpers import InvitedCandidate, invited_candidate
from tests.smtp_server import silent_server, smtp_server, tls_contexts
from tests.tokens import hr_admin_headers
from workers.notifications import SEND_QUEUE, notification_send

NOTIFICATIONS = """
query($id: ID!) {
  node(id: $id) {
    ... on Interview {
      notifications(first: 5) {
        edges { node { kind status statusReason recipient dueAt attempts sentAt updatedAt } }
      }
    }
  }
}"""

OPT_OUT = """
mutation($input: InterviewRemindersOptOutInput!) {
  interviewRemindersOptOut(input: $input) {
    invitation { status } reminderStatus errors { field message code }
  }
}"""


def smtp_settings(port: int, **overrides: object) -> Settings:
    return get_settings().model_copy(
        update={"smtp_url": f"smtp://127.0.0.1:{port}", "smtp_timeout_seconds": 1.0, **overrides}
    )


async def rows_of(invited: InvitedCandidate) -> dict[NotificationKind, InterviewNotification]:
    interview_id = decode_id(invited.interview_id, "Interview", "id")
    async with read_session() as session:
        rows = (
            await session.exec(select(InterviewNotification).where(InterviewNotification.interview_id == interview_id))
        ).all()
    return {row.kind: row for row in rows}


async def invitation_id(invited: InvitedCandidate) -> int:
    return (await rows_of(invited))[NotificationKind.INVITATION].id


async def test_invitation_email_is_received_by_the_smtp_server_in_both_languages(gql: GraphQLClient) -> None:
    invited = await invited_candidate(gql)
    rows = await rows_of(invited)
    assert rows[NotificationKind.INVITATION].status is DeliveryStatus.QUEUED
    assert workers.actors.broker.queues[SEND_QUEUE].qsize() == 1  # enqueued after the commit
    with smtp_server() as (server, port):
        settings = smtp_settings(port, mail_from="招聘 Recruiting <recruiting@bank.example>")
        delivery = await deliver(
            rows[NotificationKind.INVITATION].id, transport=build_transport(settings), settings=settings
        )
    assert delivery.outcome is Outcome.SENT
    assert len(server.received) == 1
    received = server.received[0]
    message = received.message
    candidate_email = rows[NotificationKind.INVITATION].recipient
    assert received.recipients == [candidate_email]
    assert received.mail_from == "recruiting@bank.example"
    assert message["To"].addresses[0].addr_spec == candidate_email
    assert message["From"].addresses[0].display_name == "招聘 Recruiting"
    assert "AI 面试邀请" in message["Subject"] and "Invitation to an AI interview" in message["Subject"]
    assert message["Message-ID"] == rows[NotificationKind.INVITATION].message_id
    text = received.text
    link = f"{get_settings().public_base_url.rstrip('/')}/interview/{invited.token}"
    assert link in text
    async with read_session() as session:
        interview = await session.get(Interview, decode_id(invited.interview_id, "Interview", "id"))
    beijing = interview.expires_at.astimezone(CHINA_STANDARD_TIME)
    assert f"{beijing.year}年{beijing.month}月{beijing.day}日 {beijing:%H:%M}（北京时间）" in text
    assert f"{interview.expires_at:%Y-%m-%d %H:%M} UTC" in text
    questions = len(invited.question_ids)
    assert f"题目数量：{questions} 道" in text and f"Questions: {questions}," in text
    assert "摄像头" in text and "camera" in text and "安静" in text and "quiet" in text
    assert time_per_question((120,) * questions)[1] in text  # the factory's questions allow 2 minutes each
    assert "王小明" in text and "Dear 王小明" in text
    after = await rows_of(invited)
    sent = after[NotificationKind.INVITATION]
    assert sent.status is DeliveryStatus.SENT and sent.sent_at is not None and sent.attempts == 1
    assert sent.sealed_link is None  # the token is no longer kept once the e-mail is out
    assert after[NotificationKind.REMINDER].status is DeliveryStatus.QUEUED
    assert after[NotificationKind.REMINDER].due_at == interview.expires_at - timedelta(hours=24)

    data = await gql(NOTIFICATIONS, id=invited.interview_id)
    by_kind = {edge["node"]["kind"]: edge["node"] for edge in data["node"]["notifications"]["edges"]}
    assert by_kind["INVITATION"]["status"] == "SENT" and by_kind["INVITATION"]["sentAt"] is not None
    assert by_kind["INVITATION"]["recipient"] == candidate_email
    assert by_kind["REMINDER"]["status"] == "QUEUED"


async def test_a_redelivered_job_does_not_send_again(gql: GraphQLClient) -> None:
    invited = await invited_candidate(gql)
    notification_id = await invitation_id(invited)
    with smtp_server() as (server, port):
        settings = smtp_settings(port)
        first = await deliver(notification_id, transport=build_transport(settings), settings=settings)
        second = await deliver(notification_id, transport=build_transport(settings), settings=settings)
    assert (first.outcome, second.outcome) == (Outcome.SENT, Outcome.NOT_CLAIMED)
    assert len(server.received) == 1
    assert (await rows_of(invited))[NotificationKind.INVITATION].attempts == 1


@pytest.fixture
def smtp_environment():
    """Point the process's settings (read by the actor) at a test SMTP server; restored afterwards."""
    saved = os.environ.get("HRGATE_SMTP_URL")

    def point_at(port: int) -> None:
        os.environ["HRGATE_SMTP_URL"] = f"smtp://127.0.0.1:{port}?timeout=2"
        get_settings.cache_clear()

    yield point_at
    if saved is None:
        os.environ.pop("HRGATE_SMTP_URL", None)
    else:
        os.environ["HRGATE_SMTP_URL"] = saved
    get_settings.cache_clear()


def run_mail_worker() -> None:
    broker = workers.actors.broker
    worker = dramatiq.Worker(broker, worker_timeout=50, worker_threads=2)
    worker.start()
    try:
        broker.join(SEND_QUEUE, timeout=30_000)
        worker.join()
    finally:
        worker.stop()


async def test_the_send_job_retries_transient_refusals_with_backoff_then_sends_once(
    gql: GraphQLClient, smtp_environment
) -> None:
    invited = await invited_candidate(gql)  # the invitation's job is already on the queue (after commit)
    notification_id = await invitation_id(invited)
    with smtp_server() as (server, port):
        smtp_environment(port)
        server.deferrals = 2  # 451 twice, then accepted
        workers.actors.broker.flush(SEND_QUEUE)
        notification_send.send_with_options(args=(notification_id,), min_backoff=50, max_backoff=200)
        notification_send.send_with_options(args=(notification_id,), min_backoff=50, max_backoff=200)  # a duplicate
        run_mail_worker()
    assert len(server.received) == 1
    assert server.data_attempts == 3
    row = (await rows_of(invited))[NotificationKind.INVITATION]
    assert row.status is DeliveryStatus.SENT and row.attempts == 3 and row.status_reason is None


async def test_transient_failures_end_as_failed_after_the_last_attempt(gql: GraphQLClient, smtp_environment) -> None:
    invited = await invited_candidate(gql)
    notification_id = await invitation_id(invited)
    with smtp_server() as (server, port):
        smtp_environment(port)
        server.deferrals = 10
        workers.actors.broker.flush(SEND_QUEUE)
        notification_send.send_with_options(args=(notification_id,), min_backoff=20, max_backoff=50, max_retries=2)
        run_mail_worker()
    assert server.received == [] and server.data_attempts == 3
    row = (await rows_of(invited))[NotificationKind.INVITATION]
    assert row.status is DeliveryStatus.FAILED and row.attempts == 3
    assert row.status_reason.startswith("gave up after the last attempt: server deferred: 451")


async def test_a_server_that_refuses_the_message_fails_without_retry(gql: GraphQLClient) -> None:
    invited = await invited_candidate(gql)
    notification_id = await invitation_id(invited)
    with smtp_server() as (server, port):
        server.data_reply = "554 5.7.1 Message rejected by policy"
        settings = smtp_settings(port)
        delivery = await deliver(
            notification_id, transport=build_transport(settings), settings=settings, last_attempt=False
        )
    assert delivery.outcome is Outcome.FAILED
    row = (await rows_of(invited))[NotificationKind.INVITATION]
    assert (
        row.status is DeliveryStatus.FAILED
        and row.status_reason == "server refused: 554 5.7.1 Message rejected by policy"
    )
    assert server.received == []
    data = await gql(NOTIFICATIONS, id=invited.interview_id)
    invitation = next(e["node"] for e in data["node"]["notifications"]["edges"] if e["node"]["kind"] == "INVITATION")
    assert invitation["status"] == "FAILED" and "554" in invitation["statusReason"]


async def test_a_refused_recipient_is_a_bounce(gql: GraphQLClient) -> None:
    invited = await invited_candidate(gql)
    row = (await rows_of(invited))[NotificationKind.INVITATION]
    with smtp_server() as (server, port):
        server.refused_recipients[row.recipient] = (
            f"550 5.1.1 <{row.recipient}>: Recipient address rejected: User unknown"
        )
        settings = smtp_settings(port)
        delivery = await deliver(row.id, transport=build_transport(settings), settings=settings, last_attempt=False)
    assert delivery.outcome is Outcome.BOUNCED
    after = (await rows_of(invited))[NotificationKind.INVITATION]
    assert after.status is DeliveryStatus.BOUNCED and "550 5.1.1" in after.status_reason
    assert server.received == []


async def test_a_timeout_or_an_unreachable_server_is_retried_and_nothing_is_lost(gql: GraphQLClient) -> None:
    invited = await invited_candidate(gql)
    notification_id = await invitation_id(invited)
    with silent_server() as port:
        settings = smtp_settings(port, smtp_timeout_seconds=0.5)
        delivery = await deliver(
            notification_id, transport=build_transport(settings), settings=settings, last_attempt=False
        )
    assert delivery.outcome is Outcome.RETRY
    row = (await rows_of(invited))[NotificationKind.INVITATION]
    assert row.status is DeliveryStatus.QUEUED and "timed out" in row.status_reason and row.attempts == 1
    assert row.sealed_link is not None  # still able to send the link on the next attempt

    with smtp_server() as (server, port):
        pass  # started and stopped: nothing listens on this port any more
    unreachable = smtp_settings(port)
    delivery = await deliver(
        notification_id, transport=build_transport(unreachable), settings=unreachable, last_attempt=False
    )
    assert delivery.outcome is Outcome.RETRY
    assert "could not reach the mail server" in (await rows_of(invited))[NotificationKind.INVITATION].status_reason

    with smtp_server() as (server, port):
        settings = smtp_settings(port)
        delivery = await deliver(notification_id, transport=build_transport(settings), settings=settings)
    assert delivery.outcome is Outcome.SENT and len(server.received) == 1
    assert (await rows_of(invited))[NotificationKind.INVITATION].attempts == 3


async def test_smtp_authentication_and_a_wrong_password(gql: GraphQLClient) -> None:
    invited = await invited_candidate(gql)
    notification_id = await invitation_id(invited)
    with smtp_server(credentials=("hrgate", "s3cret/pw")) as (server, port):
        wrong = get_settings().model_copy(update={"smtp_url": f"smtp://hrgate:nope@127.0.0.1:{port}"})
        refused = await deliver(notification_id, transport=build_transport(wrong), settings=wrong, last_attempt=False)
        assert refused.outcome is Outcome.FAILED and refused.reason.startswith("server refused: 535")
        assert "nope" not in refused.reason
        async with unit_of_work() as uow:  # HR fixed the password and queued it again
            await uow.session.exec(
                update(InterviewNotification)
                .where(col(InterviewNotification.id) == notification_id)
                .values(
                    status=DeliveryStatus.QUEUED,
                    sealed_link=(await rows_of(invited))[NotificationKind.REMINDER].sealed_link,
                )
            )
        right = get_settings().model_copy(update={"smtp_url": f"smtp://hrgate:s3cret%2Fpw@127.0.0.1:{port}"})
        sent = await deliver(notification_id, transport=build_transport(right), settings=right)
    assert sent.outcome is Outcome.SENT and len(server.received) == 1


def test_smtp_urls() -> None:
    plain = SmtpConfig.from_url("smtp://mail.bank.example", timeout_seconds=30)
    assert (plain.host, plain.port, plain.starttls, plain.implicit_tls, plain.username) == (
        "mail.bank.example",
        25,
        False,
        False,
        None,
    )
    submission = SmtpConfig.from_url("smtp://user%40bank:p%40ss@mail:587?starttls=true&timeout=5", timeout_seconds=30)
    assert (submission.port, submission.starttls, submission.username, submission.password) == (
        587,
        True,
        "user@bank",
        "p@ss",
    )
    assert submission.timeout_seconds == 5
    tls = SmtpConfig.from_url("smtps://mail", timeout_seconds=30)
    assert (tls.port, tls.implicit_tls, tls.starttls) == (465, True, False)
    with pytest.raises(ValueError):
        SmtpConfig.from_url("http://mail", timeout_seconds=30)
    assert isinstance(build_transport(get_settings().model_copy(update={"smtp_url": "smtp://mail"})), SmtpTransport)


async def test_the_embedded_default_writes_eml_files_to_the_outbox(gql: GraphQLClient, tmp_path) -> None:
    settings = get_settings()
    assert settings.smtp_url == ""
    assert settings.resolved_mail_outbox_dir == settings.data_dir / "outbox"
    transport = build_transport(settings)
    assert isinstance(transport, OutboxTransport) and transport.folder == settings.data_dir / "outbox"
    outbox = OutboxTransport(tmp_path / "outbox")
    invited = await invited_candidate(gql)
    row = (await rows_of(invited))[NotificationKind.INVITATION]
    delivery = await deliver(row.id, transport=outbox, settings=settings)
    assert delivery.outcome is Outcome.SENT
    files = sorted((tmp_path / "outbox").iterdir())
    assert [path.suffix for path in files] == [".eml"]
    message = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert message["Message-ID"] == row.message_id
    assert message["To"].addresses[0].addr_spec == row.recipient
    assert f"/interview/{invited.token}" in message.get_content()
    again = await deliver(row.id, transport=outbox, settings=settings)  # a redelivered job writes nothing
    assert again.outcome is Outcome.NOT_CLAIMED and len(list((tmp_path / "outbox").iterdir())) == 1


async def test_the_actor_writes_to_the_outbox_by_default_once_per_message(gql: GraphQLClient) -> None:
    invited = await invited_candidate(gql)
    row = (await rows_of(invited))[NotificationKind.INVITATION]
    notification_send.send(row.id)  # a second message for the same e-mail, as a redelivery would be
    run_mail_worker()
    outbox = get_settings().resolved_mail_outbox_dir
    written = [path for path in outbox.glob("*.eml") if path.read_bytes().count(row.message_id.encode())]
    assert len(written) == 1
    assert (await rows_of(invited))[NotificationKind.INVITATION].attempts == 1


async def test_the_reminder_goes_out_24_hours_before_expiry_unless_submitted(gql: GraphQLClient) -> None:
    model = await factories.create_model(gql)
    waiting = await invited_candidate(gql, model)
    submitted = await invited_candidate(gql, model)
    async with unit_of_work() as uow:  # the second candidate has submitted in the meantime
        await uow.session.exec(
            update(Interview)
            .where(col(Interview.id) == decode_id(submitted.interview_id, "Interview", "id"))
            .values(status=InterviewStatus.QUEUED, submitted_at=utcnow())
        )
    reminder = (await rows_of(waiting))[NotificationKind.REMINDER]
    workers.actors.broker.flush(SEND_QUEUE)

    early = await sweep(now=reminder.due_at - timedelta(hours=1))
    submitted_reminder = (await rows_of(submitted))[NotificationKind.REMINDER]
    assert (
        submitted_reminder.status is DeliveryStatus.SKIPPED and "already submitted" in submitted_reminder.status_reason
    )
    assert submitted_reminder.sealed_link is None
    assert (await rows_of(waiting))[NotificationKind.REMINDER].status is DeliveryStatus.QUEUED
    reminders = {reminder.id, submitted_reminder.id}
    assert not reminders & set(early.enqueued_ids)  # not due yet
    # the invitations were never sent (their jobs were flushed): the sweep sends them again, nothing is lost
    assert {await invitation_id(waiting), await invitation_id(submitted)} == set(early.enqueued_ids)
    workers.actors.broker.flush(SEND_QUEUE)
    due_time = reminder.due_at + timedelta(minutes=1)
    due = await sweep(now=due_time)
    assert reminder.id in due.enqueued_ids and submitted_reminder.id not in due.enqueued_ids
    assert workers.actors.broker.queues[SEND_QUEUE].qsize() == len(due.enqueued_ids)
    assert not set((await sweep(now=due_time + timedelta(minutes=1))).enqueued_ids)  # left to the queued jobs

    with smtp_server() as (server, port):
        settings = smtp_settings(port)
        sent = await deliver(reminder.id, transport=build_transport(settings), settings=settings, now=due_time)
        skipped = await deliver(
            (await rows_of(submitted))[NotificationKind.REMINDER].id,
            transport=build_transport(settings),
            settings=settings,
            now=due_time,
        )
    assert sent.outcome is Outcome.SENT
    assert skipped.outcome is Outcome.NOT_CLAIMED  # a job that arrives anyway finds it finished
    assert len(server.received) == 1
    message = server.received[0].message
    assert "面试提醒" in message["Subject"] and "Reminder" in message["Subject"]
    assert f"/interview/{waiting.token}" in server.received[0].text
    assert "尚未提交" in server.received[0].text and "has not been submitted yet" in server.received[0].text


async def test_no_reminder_for_an_invitation_shorter_than_the_reminder_window(gql: GraphQLClient) -> None:
    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"], headcount=3)
    application_id = await factories.apply(gql, await factories.create_candidate(gql), requisition_id)
    payload = await gql.mutate(
        factories.INTERVIEW_INVITE, "interviewInvite", input={"applicationId": application_id, "expiresInHours": 12}
    )
    data = await gql(NOTIFICATIONS, id=payload["interview"]["id"])
    by_kind = {edge["node"]["kind"]: edge["node"] for edge in data["node"]["notifications"]["edges"]}
    assert by_kind["INVITATION"]["status"] == "QUEUED"
    assert by_kind["REMINDER"]["status"] == "SKIPPED" and "less than 24 hours" in by_kind["REMINDER"]["statusReason"]


async def test_the_candidate_can_opt_out_of_reminders_with_the_invitation_token(gql: GraphQLClient) -> None:
    invited = await invited_candidate(gql)
    candidate = GraphQLClient(actor=ANONYMOUS)  # no bearer token: the invitation token is the credential
    refused = (await candidate(OPT_OUT, input={"invitationToken": "not-a-token"}))["interviewRemindersOptOut"]
    assert refused["errors"] == [
        {"field": "invitationToken", "message": "this invitation link is not valid", "code": "INVITATION_INVALID"}
    ]
    payload = await candidate.mutate(OPT_OUT, "interviewRemindersOptOut", input={"invitationToken": invited.token})
    assert payload["reminderStatus"] == "OPTED_OUT" and payload["invitation"]["status"] == "INVITED"
    again = await candidate.mutate(OPT_OUT, "interviewRemindersOptOut", input={"invitationToken": invited.token})
    assert again["reminderStatus"] == "OPTED_OUT"
    reminder = (await rows_of(invited))[NotificationKind.REMINDER]
    assert reminder.sealed_link is None
    due_time = reminder.due_at + timedelta(minutes=1)
    assert reminder.id not in (await sweep(now=due_time)).enqueued_ids
    with smtp_server() as (server, port):
        settings = smtp_settings(port)
        delivery = await deliver(reminder.id, transport=build_transport(settings), settings=settings, now=due_time)
    assert delivery.outcome is Outcome.NOT_CLAIMED and server.received == []
    data = await gql(NOTIFICATIONS, id=invited.interview_id)
    statuses = {edge["node"]["kind"]: edge["node"]["status"] for edge in data["node"]["notifications"]["edges"]}
    assert statuses["REMINDER"] == "OPTED_OUT"


async def test_an_interrupted_send_is_ended_not_repeated(gql: GraphQLClient) -> None:
    invited = await invited_candidate(gql)
    notification_id = await invitation_id(invited)
    now = utcnow()
    async with unit_of_work() as uow:  # a worker claimed it, then died before recording the result
        await uow.session.exec(
            update(InterviewNotification)
            .where(col(InterviewNotification.id) == notification_id)
            .values(status=DeliveryStatus.SENDING, claimed_at=now - timedelta(minutes=5), attempts=1)
        )
    assert notification_id not in (await sweep(now=now)).interrupted_ids  # another worker may still be on it
    later = await sweep(now=now + timedelta(minutes=20))
    assert notification_id in later.interrupted_ids and notification_id not in later.enqueued_ids
    row = (await rows_of(invited))[NotificationKind.INVITATION]
    assert row.status is DeliveryStatus.FAILED and row.status_reason == INTERRUPTED and row.sealed_link is None


async def test_nothing_is_sent_after_erasure_or_withdrawal(gql: GraphQLClient) -> None:
    invited = await invited_candidate(gql)
    notification_id = await invitation_id(invited)
    erase = """
    mutation($input: CandidateEraseInput!) { candidateErase(input: $input) { errors { field message code } } }"""
    data = await gql(NOTIFICATIONS, id=invited.interview_id)
    assert data["node"]["notifications"]["edges"]
    async with read_session() as session:
        interview = await session.get(Interview, decode_id(invited.interview_id, "Interview", "id"))
        application = await session.get(Application, interview.application_id)
        candidate = await session.get(Candidate, application.candidate_id)
    payload = await gql(
        erase, input={"candidateId": str(encode_id("Candidate", candidate.id)), "reason": "candidate asked"}
    )
    assert payload["candidateErase"]["errors"] == []
    rows = await rows_of(invited)
    assert all(row.sealed_link is None and row.recipient == f"erased-{candidate.id}@invalid" for row in rows.values())
    with smtp_server() as (server, port):
        settings = smtp_settings(port)
        delivery = await deliver(notification_id, transport=build_transport(settings), settings=settings)
    assert delivery.outcome is Outcome.SKIPPED and server.received == []


APPLICATION_NOTIFICATIONS = """
query($requisitionId: ID!) {
  applications(first: 10, requisitionId: $requisitionId) {
    edges { node { latestInterview { status notifications(first: 5) {
      totalCount edges { node { id kind status statusReason recipient attempts dueAt sentAt } }
    } } } }
  }
}"""


async def test_delivery_status_reads_the_same_compiled_and_through_loaders(gql: GraphQLClient) -> None:
    from graphql import parse

    from schema.context import Context
    from schema.read_planner import plan_operation
    from schema.root import schema
    from tests.graphql_client import HR_ADMIN

    model = await factories.create_model(gql)
    first = await invited_candidate(gql, model)
    await invited_candidate(gql, model)
    with smtp_server() as (_server, port):
        settings = smtp_settings(port)
        await deliver(await invitation_id(first), transport=build_transport(settings), settings=settings)
    variables = {"requisitionId": model["requisition_id"]}
    assert plan_operation(schema, Context(actor=HR_ADMIN), parse(APPLICATION_NOTIFICATIONS), None, variables)
    answers = []
    for compiled in (True, False):
        result = await schema.execute(
            APPLICATION_NOTIFICATIONS,
            variable_values=variables,
            context_value=Context(actor=HR_ADMIN, compiled_reads=compiled),
        )
        assert result.errors is None, result.errors
        answers.append(result.data)
    assert answers[0] == answers[1]
    statuses = sorted(
        (edge["node"]["kind"], edge["node"]["status"])
        for application in answers[0]["applications"]["edges"]
        for edge in application["node"]["latestInterview"]["notifications"]["edges"]
    )
    assert statuses == [
        ("INVITATION", "QUEUED"),
        ("INVITATION", "SENT"),
        ("REMINDER", "QUEUED"),
        ("REMINDER", "QUEUED"),
    ]


def test_a_malformed_smtp_url_is_refused_at_start_without_echoing_it() -> None:
    from pydantic import ValidationError

    for url in ("http://user:topsecret@mail", "smtp://user:topsecret@:25", "smtp://user:topsecret@mail:port"):
        with pytest.raises(ValidationError) as refused:
            Settings(smtp_url=url)
        assert "HRGATE_SMTP_URL" in str(refused.value) and "topsecret" not in str(refused.value)
    assert Settings(smtp_url="smtps://user:topsecret@mail:465").smtp_url.startswith("smtps://")


async def test_starttls_and_implicit_tls_with_a_verified_certificate(gql: GraphQLClient, tmp_path) -> None:
    server_context, client_context = tls_contexts(tmp_path)
    model = await factories.create_model(gql)
    over_starttls, over_tls, without_tls, untrusted = [
        await invitation_id(await invited_candidate(gql, model)) for _ in range(4)
    ]
    settings = get_settings()

    def transport(url: str, context: ssl.SSLContext | None = client_context) -> SmtpTransport:
        return SmtpTransport(SmtpConfig.from_url(url, timeout_seconds=2), ssl_context=context)

    with smtp_server(("hrgate", "pw"), starttls=server_context) as (server, port):
        sent = await deliver(
            over_starttls, transport=transport(f"smtp://hrgate:pw@127.0.0.1:{port}?starttls=true"), settings=settings
        )
        assert sent.outcome is Outcome.SENT and len(server.received) == 1
        refused = await deliver(
            without_tls, transport=transport(f"smtp://127.0.0.1:{port}"), settings=settings, last_attempt=False
        )
        assert refused.outcome is Outcome.FAILED and refused.reason.startswith("server refused: 530")
        not_trusted = await deliver(
            untrusted,
            transport=transport(f"smtp://127.0.0.1:{port}?starttls=true", ssl.create_default_context()),
            settings=settings,
            last_attempt=False,
        )
        assert not_trusted.outcome is Outcome.FAILED and "certificate did not verify" in not_trusted.reason
        assert len(server.received) == 1
    with smtp_server(implicit_tls=server_context) as (server, port):
        sent = await deliver(over_tls, transport=transport(f"smtps://127.0.0.1:{port}"), settings=settings)
        assert sent.outcome is Outcome.SENT and len(server.received) == 1


async def test_a_link_sealed_with_another_key_fails_with_the_reason(gql: GraphQLClient) -> None:
    from cryptography.fernet import Fernet

    invited = await invited_candidate(gql)
    other_key = get_settings().model_copy(update={"invitation_link_key": Fernet.generate_key().decode()})
    with smtp_server() as (server, port):
        delivery = await deliver(
            await invitation_id(invited),
            transport=build_transport(smtp_settings(port)),
            settings=other_key,
            last_attempt=False,
        )
    assert delivery.outcome is Outcome.FAILED and "HRGATE_INVITATION_LINK_KEY" in delivery.reason
    assert server.received == []


def invite_over_http(base_url: str, application_id: str) -> dict:
    response = httpx.post(
        f"{base_url}/graphql",
        timeout=30,
        headers=hr_admin_headers(),
        json={"query": factories.INTERVIEW_INVITE, "variables": {"input": {"applicationId": application_id}}},
    )
    return response.json()["data"]["interviewInvite"]


async def test_the_embedded_gateway_writes_the_invitation_to_the_outbox_a_newcomer_can_open(gql, tmp_path) -> None:
    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"], headcount=2)
    application_id = await factories.apply(gql, await factories.create_candidate(gql), requisition_id)
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    env = {key: value for key, value in os.environ.items() if key not in ("HRGATE_BROKER_URL", "HRGATE_SMTP_URL")}
    env["HRGATE_DATA_DIR"] = str(data_dir)  # the same database (HRGATE_DATABASE_URL); its own outbox and link key
    with processes.gateway(env, tmp_path / "gateway.log") as base_url:
        payload = await asyncio.to_thread(invite_over_http, base_url, application_id)
        assert payload["errors"] == []
        outbox = data_dir / "outbox"
        deadline = time.monotonic() + 30
        while not list(outbox.glob("*.eml")) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
    (written,) = list(outbox.glob("*.eml"))
    assert written.name.startswith(
        f"hrgate-interview-{decode_id(payload['interview']['id'], 'Interview', 'id')}-invitation-"
    )
    message = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert payload["invitationUrl"] in message.get_content()
    assert "Invitation to an AI interview" in message["Subject"]
    assert (data_dir / "invitation-link.key").exists()
    data = await gql(NOTIFICATIONS, id=payload["interview"]["id"])
    statuses = {edge["node"]["kind"]: edge["node"]["status"] for edge in data["node"]["notifications"]["edges"]}
    assert statuses == {"INVITATION": "SENT", "REMINDER": "QUEUED"}


def test_a_line_break_in_a_name_or_title_cannot_add_a_header() -> None:
    from datetime import UTC, datetime

    from resolvers.services.mail_templates import MailContent, render

    content = MailContent(
        kind=NotificationKind.INVITATION,
        candidate_name="Mallory\r\nBcc: everyone@bank.example",
        recipient="mallory@mail.example",
        sender="hrgate <no-reply@bank.example>",
        message_id="<hrgate-interview-1-invitation-00@bank.example>",
        requisition_title="Teller\nBcc: everyone@bank.example",
        invitation_url="https://hr.bank.example/interview/abc",
        expires_at=datetime(2026, 12, 1, 12, 0, tzinfo=UTC),
        question_time_limits_seconds=(60, 180),
        reminder_hours_before_expiry=24,
    )
    message = render(content, now=datetime(2026, 11, 28, tzinfo=UTC))
    assert message["Bcc"] is None
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["Bcc"] is None and parsed["To"].addresses[0].addr_spec == "mallory@mail.example"
    text = parsed.get_content()
    assert "每题 1–3 分钟" in text and "1–3 minutes per question" in text and "about 4 minutes" in text
    assert (
        "2026年12月1日 20:00（北京时间）" in text
        and "1 December 2026, 20:00 China Standard Time (2026-12-01 12:00 UTC)" in text
    )


async def test_a_reminder_job_for_an_interview_submitted_since_the_sweep_sends_nothing(gql: GraphQLClient) -> None:
    invited = await invited_candidate(gql)
    reminder = (await rows_of(invited))[NotificationKind.REMINDER]
    due_time = reminder.due_at + timedelta(minutes=1)
    assert reminder.id in (await sweep(now=due_time)).enqueued_ids
    async with unit_of_work() as uow:  # submitted after the sweep queued the reminder's job
        await uow.session.exec(
            update(Interview).where(col(Interview.id) == reminder.interview_id).values(status=InterviewStatus.QUEUED)
        )
    with smtp_server() as (server, port):
        settings = smtp_settings(port)
        delivery = await deliver(reminder.id, transport=build_transport(settings), settings=settings, now=due_time)
    assert delivery.outcome is Outcome.SKIPPED and "already submitted (queued)" in delivery.reason
    assert server.received == []
    assert (await rows_of(invited))[NotificationKind.REMINDER].status is DeliveryStatus.SKIPPED
