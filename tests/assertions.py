"""Assertions shared by the mutation tests."""

from __future__ import annotations

from tests.db_helpers import all_row_counts


async def refused(gql, document: str, payload_field: str, **variables) -> list[dict]:
    """Run a mutation that must fail; assert nothing at all was written; return its errors."""
    before = await all_row_counts()
    payload = (await gql(document, **variables))[payload_field]
    assert payload["errors"], payload
    assert all(value is None for key, value in payload.items() if key != "errors"), payload
    assert await all_row_counts() == before
    return payload["errors"]


def codes(errors: list[dict]) -> list[str]:
    return [error["code"] for error in errors]
