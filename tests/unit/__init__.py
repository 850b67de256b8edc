"""Unit tests of the pure domain model: no I/O, milliseconds."""
