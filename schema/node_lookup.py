"""``node(id:)`` and ``nodes(ids:)`` that answer a malformed or unknown-type ID as bad user input.

Strawberry's built-in relay fields report an unparsable ID as a resolver failure;
a client that sends garbage should get a client error (``BAD_USER_INPUT``), and an
ID of a type that exists but a row that does not gets ``null``.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from graphql import GraphQLError
from strawberry import relay
from strawberry.relay.types import GlobalIDValueError


def _parse(value: str) -> relay.GlobalID:
    try:
        global_id = relay.GlobalID.from_id(value)
    except GlobalIDValueError:
        raise GraphQLError(f"'{value}' is not a valid ID", extensions={"code": "BAD_USER_INPUT"}) from None
    return global_id


async def resolve_node(info: Any, value: str) -> Any:
    global_id = _parse(value)
    try:
        node = global_id.resolve_node(info, required=False)
    except GlobalIDValueError:
        raise GraphQLError(
            f"'{value}' is not the ID of any object type", extensions={"code": "BAD_USER_INPUT"}
        ) from None
    return await node if inspect.isawaitable(node) else node


async def resolve_nodes(info: Any, values: list[str]) -> list[Any]:
    if len(values) > 100:
        raise GraphQLError("at most 100 IDs at a time", extensions={"code": "BAD_USER_INPUT"})
    return list(await asyncio.gather(*(resolve_node(info, value) for value in values)))  # one loader batch
