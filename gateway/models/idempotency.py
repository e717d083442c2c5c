"""Stored answers to mutations sent with an ``Idempotency-Key`` header (``gateway.idempotency``).

One row per (principal, key): the hash of the request it was first used for, whether that request is
still running, and the HTTP answer to replay. Rows expire after 24 h (the retention job deletes them).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from gateway.models.base import UTCDateTime, created_at_field, updated_at_field


class IdempotencyKey(SQLModel, table=True):
    __tablename__ = "idempotency_key"
    __table_args__ = (sa.UniqueConstraint("principal", "key", name="uq_idempotency_key_principal_key"),)

    id: int | None = Field(default=None, primary_key=True)
    principal: str = Field(max_length=255)
    """Who used the key (``service:<client>``, ``person:<sub>``, ``anonymous``): keys never cross principals."""
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    """SHA-256 of the request (path and canonical JSON body): the same key with another body is refused."""
    completed: bool = False
    """False while the first request runs (a concurrent one answers 409)."""
    response_status: int | None = None
    response_content_type: str | None = Field(default=None, max_length=200)
    response_body: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
