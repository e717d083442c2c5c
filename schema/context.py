"""What every resolver receives: who is asking, the request's DataLoaders, and the settings."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader

from gateway.settings import Settings, get_settings
from resolvers.dataloaders import Loaders, audit_read_loader
from resolvers.services.audit import Actor


@dataclass
class ConnectionState:
    """What a websocket connection keeps across its operations."""

    active_subscriptions: int = 0
    """Subscriptions open on this websocket connection (candidates may hold a few only)."""


@dataclass
class Context:
    """Built once per HTTP request; over websockets once per connection, then copied for every
    operation (``for_operation``) so DataLoader caches and audit batches live for one operation only.

    ``authentication_error`` says why a bearer token given with the request was refused (the
    actor is then anonymous, and everything but the candidate operations answers UNAUTHENTICATED).
    ``credentials_expire_at`` (epoch seconds) is when the token or invitation a websocket was
    opened with stops being valid.
    """

    actor: Actor
    settings: Settings = field(default_factory=get_settings)
    loaders: Loaders = field(default_factory=Loaders)
    request: Any = None
    response: Any = None
    authentication_error: str | None = None
    connection_params: dict[str, Any] | None = None
    """The websocket ``connection_init`` payload (set by strawberry)."""
    compiled_reads: bool | None = None
    """Answer compilable queries with one SQL statement; None: as the settings say (False: DataLoader path)."""
    credentials_expire_at: float | None = None
    connection: ConnectionState = field(default_factory=ConnectionState)
    _audit_reads: DataLoader[tuple[str, int], None] | None = field(default=None, repr=False)
    _audit_reads_actor: Actor | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.compiled_reads is None:
            self.compiled_reads = self.settings.compiled_reads

    @property
    def active_subscriptions(self) -> int:
        return self.connection.active_subscriptions

    @active_subscriptions.setter
    def active_subscriptions(self, value: int) -> None:
        self.connection.active_subscriptions = value

    def for_operation(self) -> Context:
        """A copy for one websocket operation: same principal and connection, fresh loaders and audit batch.

        A connection can stay open for hours: loaders kept across operations would keep serving
        rows changed or erased since, and an audit batch would record a repeated read only once.
        """
        return replace(self, loaders=Loaders(), _audit_reads=None, _audit_reads_actor=None)

    async def audit_read(self, entity_type: str, entity_id: int) -> None:
        """Record that the actor read this report or archive (batched: one insert per loader batch)."""
        if self.actor.kind not in ("person", "service"):
            return
        if self._audit_reads is None or self._audit_reads_actor is not self.actor:
            self._audit_reads = audit_read_loader(self.actor)
            self._audit_reads_actor = self.actor
        await self._audit_reads.load((entity_type, entity_id))


Info = strawberry.Info[Context, None]
