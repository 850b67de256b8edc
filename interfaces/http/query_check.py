"""Refuses a query parameter the route does not declare (422), on every read: none is ever ignored."""

from __future__ import annotations

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import HTTPConnection

from domain.errors import InvalidInputError

# A misspelt filter, or `as_of` on a board that cannot travel in time, must not answer as if unsent.
CHECKED_METHODS = frozenset({"GET", "HEAD"})
SHOWN = 100  # characters of a refused name: the answer need not echo a long one in full


def refuse_unknown_query(connection: HTTPConnection) -> None:
    """An app-wide dependency: 422 `invalid_input` naming the first undeclared parameter of a read."""
    if connection.scope["type"] != "http" or connection.scope["method"] not in CHECKED_METHODS:
        return
    route = connection.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    declared = declared_query(route.dependant)
    for name in connection.query_params:
        if name not in declared:
            accepted = ", ".join(sorted(declared)) or "none"
            raise InvalidInputError(
                f"unknown query parameter {name[:SHOWN]!r}; this endpoint takes: {accepted}",
                field=name[:SHOWN],
            )


def declared_query(dependant: Dependant) -> frozenset[str]:
    """The query parameters a route reads, its dependencies' included, by the names clients send."""
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= declared_query(sub)
    return frozenset(names)
