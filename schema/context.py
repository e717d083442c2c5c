"""What every resolver receives: who is asking, the request's DataLoaders, and the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader

from gateway.settings import Settings, get_settings
from resolvers.dataloaders import Loaders, audit_read_loader
from resolvers.services.audit import Actor


@dataclass
class Context:
    """Built once per HTTP request (once per connection over websockets).

    ``authentication_error`` says why a bearer token given with the request was refused (the
    actor is then anonymous, and everything but the candidate operations answers UNAUTHENTICATED).
    """

    actor: Actor
    settings: Settings = field(default_factory=get_settings)
    loaders: Loaders = field(default_factory=Loaders)
    request: Any = None
    response: Any = None
    authentication_error: str | None = None
    connection_params: dict[str, Any] | None = None
    """The websocket ``connection_init`` payload (set by strawberry)."""
    active_subscriptions: int = 0
    """Subscriptions open on this websocket connection (candidates may hold a few only)."""
    _audit_reads: DataLoader[tuple[str, int], None] | None = field(default=None, repr=False)
    _audit_reads_actor: Actor | None = field(default=None, repr=False)

    async def audit_read(self, entity_type: str, entity_id: int) -> None:
        """Record that the actor read this report or archive (batched: one insert per loader batch)."""
        if self.actor.kind not in ("person", "service"):
            return
        if self._audit_reads is None or self._audit_reads_actor is not self.actor:
            self._audit_reads = audit_read_loader(self.actor)
            self._audit_reads_actor = self.actor
        await self._audit_reads.load((entity_type, entity_id))


Info = strawberry.Info[Context, None]
