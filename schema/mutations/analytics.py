"""``AnalyticsMutations``: candidates' voluntary group data and re-weighting proposals (a mixin of ``Mutation``).

Applying a proposal creates a new competency model version (requisitions keep their pinned one);
applying it again is an idempotent replay returning the same version. Every change is audited.
"""

from __future__ import annotations

import strawberry

from resolvers.errors import DomainError, ErrorCode
from resolvers.services import reweighting
from resolvers.services.audit import Actor
from schema.context import Info
from schema.enums import BusinessLine
from schema.ids import decode_id
from schema.mutations.common import UserError, run_mutation
from schema.permissions import Action, can_write, check_write
from schema.types.competency import CompetencyModelVersion
from schema.types.reweighting import ReweightingProposal


@strawberry.input(description="One self-reported group, e.g. key `gender`, value `female`.")
class SelfReportedGroupInput:
    key: str
    value: str


@strawberry.input(
    description="HR gives `candidateId`; a candidate gives their `invitationToken` instead. `groups` lists a value "
    "per key (e.g. gender, age_band); leave a key out to decline. Never read by scoring."
)
class CandidateSelfReportRecordInput:
    groups: list[SelfReportedGroupInput]
    candidate_id: strawberry.ID | None = None
    invitation_token: str | None = None


@strawberry.type
class CandidateSelfReportRecordPayload:
    recorded: bool | None = None
    group_keys: list[str] | None = strawberry.field(
        default=None, description="The keys stored (values are not echoed back)."
    )
    errors: list[UserError]


@strawberry.input
class ReweightingProposalCreateInput:
    model_version_id: strawberry.ID
    period: str | None = strawberry.field(default=None, description="KPI periods to use (prefix, e.g. 2026).")
    department: str | None = strawberry.field(default=None, description="Only hires in this department.")
    business_line: BusinessLine | None = strawberry.field(
        default=None, description="Only hires through requisitions of this business line (retail, corporate…)."
    )


@strawberry.type
class ReweightingProposalPayload:
    proposal: ReweightingProposal | None = None
    errors: list[UserError]


@strawberry.input
class ReweightingProposalApplyInput:
    proposal_id: strawberry.ID


@strawberry.type
class ReweightingProposalApplyPayload:
    proposal: ReweightingProposal | None = None
    version: CompetencyModelVersion | None = strawberry.field(
        default=None, description="The new version (the same one again when the proposal was already applied)."
    )
    errors: list[UserError]


@strawberry.input
class ReweightingProposalRejectInput:
    proposal_id: strawberry.ID
    notes: str = ""


@strawberry.type
class AnalyticsMutations:
    @strawberry.mutation(
        description="Record a candidate's optional self-reported groups for adverse-impact monitoring."
    )
    async def candidate_self_report_record(
        self, info: Info, input: CandidateSelfReportRecordInput
    ) -> CandidateSelfReportRecordPayload:
        if input.invitation_token is None:
            check_write(info.context, Action.RECRUITING)

        async def operation(uow):
            if input.invitation_token is not None:
                candidate_id = await reweighting.candidate_for_token(input.invitation_token, session=uow.session)
                actor = Actor(f"candidate:{candidate_id}", "candidate", kind="candidate")
            elif input.candidate_id is not None:
                candidate_id = decode_id(input.candidate_id, "Candidate", "candidateId")
                actor = info.context.actor
            else:
                raise DomainError.single("candidateId", "give candidateId or invitationToken", ErrorCode.REQUIRED)
            keys = [group.key for group in input.groups]
            if len(set(keys)) != len(keys):
                raise DomainError.single("groups", "each group key at most once", ErrorCode.INVALID)
            groups = {group.key: group.value for group in input.groups}
            return await reweighting.record_self_report(candidate_id, groups, session=uow.session, actor=actor)

        report, errors = await run_mutation(operation)
        if report is None:
            return CandidateSelfReportRecordPayload(errors=errors)
        return CandidateSelfReportRecordPayload(recorded=True, group_keys=sorted(report.groups), errors=[])

    @strawberry.mutation(
        description="Propose new weights for a version from measured validity (bounded steps, explained).",
        permission_classes=can_write(Action.COMPETENCY),
    )
    async def reweighting_proposal_create(
        self, info: Info, input: ReweightingProposalCreateInput
    ) -> ReweightingProposalPayload:
        async def operation(uow):
            version_id = decode_id(input.model_version_id, "CompetencyModelVersion", "modelVersionId")
            return await reweighting.create_proposal(
                version_id,
                session=uow.session,
                actor=info.context.actor,
                period=input.period,
                department=input.department,
                business_line=input.business_line,
            )

        proposal, errors = await run_mutation(operation)
        return ReweightingProposalPayload(proposal=ReweightingProposal.from_optional_row(proposal), errors=errors)

    @strawberry.mutation(
        description="Apply a proposal: a NEW version with the proposed weights (questions and KPI links copied); "
        "running requisitions keep their pinned version. Applying again returns the same version.",
        permission_classes=can_write(Action.COMPETENCY),
    )
    async def reweighting_proposal_apply(
        self, info: Info, input: ReweightingProposalApplyInput
    ) -> ReweightingProposalApplyPayload:
        async def operation(uow):
            proposal_id = decode_id(input.proposal_id, "ReweightingProposal", "proposalId")
            return await reweighting.apply_proposal(proposal_id, session=uow.session, actor=info.context.actor)

        result, errors = await run_mutation(operation)
        if result is None:
            return ReweightingProposalApplyPayload(errors=errors)
        proposal, version = result
        return ReweightingProposalApplyPayload(
            proposal=ReweightingProposal.from_row(proposal), version=CompetencyModelVersion.from_row(version), errors=[]
        )

    @strawberry.mutation(
        description="Reject a proposal with a note (final).", permission_classes=can_write(Action.COMPETENCY)
    )
    async def reweighting_proposal_reject(
        self, info: Info, input: ReweightingProposalRejectInput
    ) -> ReweightingProposalPayload:
        async def operation(uow):
            proposal_id = decode_id(input.proposal_id, "ReweightingProposal", "proposalId")
            return await reweighting.reject_proposal(
                proposal_id, input.notes, session=uow.session, actor=info.context.actor
            )

        proposal, errors = await run_mutation(operation)
        return ReweightingProposalPayload(proposal=ReweightingProposal.from_optional_row(proposal), errors=errors)
