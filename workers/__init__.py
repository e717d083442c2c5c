"""Dramatiq broker, actors and the scoring pipeline. Workers use services and tables, never GraphQL."""
