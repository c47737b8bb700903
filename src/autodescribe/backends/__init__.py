"""Backends: one Protocol per role and one registry per role."""
