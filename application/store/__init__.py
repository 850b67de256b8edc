"""The event store: the library's recorders made append-only, subscribable and group-committing."""
