"""The pure domain model: complaint and emergency aggregates, their events, values and errors."""
