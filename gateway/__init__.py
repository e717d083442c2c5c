"""hrgate transport edge and core: settings, database, tables, pub/sub, media storage, CLI."""
