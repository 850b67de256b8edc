"""The one place errors become HTTP statuses: each family of refusal has its status."""

from __future__ import annotations

from uuid import uuid4

import pytest

from application.access.tokens import TokenError
from application.errors import (
    AccessDeniedError,
    IncidentKindError,
    IncidentNotFoundError,
    VersionConflictError,
)
from domain.errors import DomainError, IncidentClosedError, InvalidInputError
from domain.organisation import OrganisationError, UnknownUnitError
from interfaces.http.errors import status_of

INCIDENT = uuid4()


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (IncidentNotFoundError(INCIDENT), 404),
        (IncidentKindError(INCIDENT, "emergency"), 404),
        (AccessDeniedError("no"), 403),
        (InvalidInputError("bad", field="summary"), 422),
        (UnknownUnitError("NOWHERE"), 422),
        (OrganisationError("no head office"), 422),
        (TokenError("a branch token needs a unit", field="unit"), 422),
        (IncidentClosedError("closed", incident_id=INCIDENT), 409),
        (VersionConflictError(INCIDENT, 1, 2), 409),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, DomainError) else str(value),
)
def test_each_refusal_has_the_status_of_its_family(error: DomainError, status: int) -> None:
    assert status_of(error) == status
