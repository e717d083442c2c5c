"""GraphQL object types, one module per domain; each maps from a table, never exposes it."""
