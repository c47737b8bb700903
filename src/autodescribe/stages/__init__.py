"""Pipeline stages: typed inputs to typed, JSON-serialisable outputs."""
