"""Domain services: async functions taking ``*, session``, raising ``DomainError``, no GraphQL."""
