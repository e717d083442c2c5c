"""The GraphQL layer: strawberry types, inputs, payloads and the root schema. Thin: it maps and delegates."""
