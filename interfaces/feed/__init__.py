"""The real-time feed: one reader of the log per process, fanned out to every WebSocket watcher."""
