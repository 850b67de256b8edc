"""Read models of the incident log: boards kept in SQL tables, each with its tracking position."""
