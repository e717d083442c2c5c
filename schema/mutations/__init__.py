"""Mutations, noun before verb (``requisitionCreate``), each with one input and one payload."""
