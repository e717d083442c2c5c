"""What every resolver receives: who is asking, the request's DataLoaders, and the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry

from gateway.settings import Settings, get_settings
from resolvers.dataloaders import Loaders
from resolvers.services.audit import Actor


@dataclass
class Context:
    """Built once per HTTP request (once per connection over websockets)."""

    actor: Actor
    settings: Settings = field(default_factory=get_settings)
    loaders: Loaders = field(default_factory=Loaders)
    request: Any = None
    response: Any = None


Info = strawberry.Info[Context, None]
