"""The GraphQL documents both systems are sent: the anchor query, the floor query and the mutation, each in
hrgate's and PostGraphile's spelling, kept side by side so a reader can see they ask for the same rows."""

HRGATE_ANCHOR = """query Anchor {
  requisitions(first: 20) {
    edges { node {
      id title
      applications(first: 5) { edges { node {
        id
        candidate { fullName email }
        latestInterview { status report { total percentile } }
      } } }
    } }
  }
}"""

POSTGRAPHILE_ANCHOR = """query Anchor {
  allRequisitions(first: 20, orderBy: ID_ASC) {
    nodes {
      id title
      applicationsByRequisitionId(first: 5, orderBy: ID_ASC) { nodes {
        id
        candidateByCandidateId { fullName email }
        interviewsByApplicationId(orderBy: ID_DESC, first: 1) {
          nodes { status interviewReportByInterviewId { total percentile } }
        }
      } }
    }
  }
}"""

FLOOR = "{ __typename }"

HRGATE_MUTATION = """mutation Move($input: RequisitionUpdateInput!) {
  requisitionUpdate(input: $input) { requisition { id headcount } errors { field message code } }
}"""

POSTGRAPHILE_MUTATION = """mutation Move($id: Int!, $headcount: Int!) {
  updateRequisitionById(input: {id: $id, requisitionPatch: {headcount: $headcount}}) { requisition { id headcount } }
}"""

HRGATE_MUTATION_TARGETS = """query Targets {
  requisitions(first: 100) { edges { node { id title } } }
}"""

POSTGRAPHILE_MUTATION_TARGETS = """query Targets {
  allRequisitions(first: 100, orderBy: ID_ASC) { nodes { id title } }
}"""
