"""Relay global IDs in mutation inputs: decode, or report a typed error naming the field."""

from __future__ import annotations

from strawberry import relay

from resolvers.errors import DomainError, ErrorCode


def decode_id(value: str, expected_type: str, field: str) -> int:
    """The database id inside a global ID of ``expected_type`` (e.g. ``Requisition``)."""
    try:
        global_id = relay.GlobalID.from_id(value)
        node_id = int(global_id.node_id)
    except (ValueError, TypeError, Exception):  # malformed base64, missing colon, non-numeric id
        raise DomainError.single(field, f"'{value}' is not a valid ID", ErrorCode.INVALID_ID) from None
    if global_id.type_name != expected_type:
        raise DomainError.single(
            field, f"expected an ID of a {expected_type}, got one of a {global_id.type_name}", ErrorCode.WRONG_TYPE
        )
    return node_id


def encode_id(type_name: str, node_id: int) -> relay.GlobalID:
    return relay.GlobalID(type_name, str(node_id))
