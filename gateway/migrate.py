"""Running alembic migrations from code (CLI, embedded start-up, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import migrations


def alembic_config(database_url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.attributes["configure_logger"] = False
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def upgrade_to_head(database_url: str | None = None) -> None:
    """Bring the database to the newest schema (idempotent). Must not run inside an event loop."""
    command.upgrade(alembic_config(database_url), "head")


def check_no_drift(database_url: str | None = None) -> None:
    """Raise if the tables in code and the migrated database differ (alembic check)."""
    command.check(alembic_config(database_url))
