"""The branch client: the `incident` sub-commands that report and act over HTTP, with an offline outbox."""
