"""Running the boards: feeding them the log, one projector per board, rebuilds, waiting on positions."""
