"""HTTP calls to the incident server, with its error answers turned into exceptions.

ClientError              the server answered with an error: status, code, message, field
ServerUnreachableError   no usable answer: connection refused or reset, DNS failure, timeout,
                         a gateway's 502/503/504; the request may or may not have been applied
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from domain.incident_type import IncidentType

API = "/api/v1"
TIMEOUT = httpx.Timeout(10.0, connect=3.0)
# Gateways answer these when the server behind them is down or slow: the same as no answer at all.
GATEWAY_STATUSES = frozenset({502, 503, 504})
# Refusals that say nothing about the request itself: a later try with a good token or less load may pass.
PASSING_STATUSES = frozenset({401, 403, 408, 429})

Body = dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """A successful answer: its status, JSON object and version from the ETag (if any)."""

    status: int
    body: Body
    etag: str | None = None


class ClientError(Exception):
    """The server refused or failed a request; `code` is stable for scripts, `message` for people."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.field = field

    @property
    def is_final(self) -> bool:
        """The request itself was refused (a 4xx about its content): sending it again cannot help."""
        return 400 <= self.status < 500 and self.status not in PASSING_STATUSES

    @property
    def is_auth(self) -> bool:
        """The token is missing, wrong, or does not cover what was asked."""
        return self.status in (401, 403)


class ServerUnreachableError(Exception):
    """The server could not be reached, or gave no usable answer."""


class ApiClient:
    """One connection to the incident server, authenticated by a bearer token."""

    def __init__(self, base_url: str, token: str, transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=TIMEOUT,
            transport=transport,
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def report(self, kind: str, body: Body) -> Reply:
        """Report a new complaint or emergency (`kind` is an `IncidentType` value)."""
        return self.send("POST", report_path(kind), body)

    def act(self, incident_id: str, command: str, body: Body, if_match: int | None = None) -> Reply:
        """Run one command on an incident, optionally only if it is still at version `if_match`."""
        return self.send("POST", act_path(incident_id, command), body, if_match)

    def incident(self, incident_id: str, params: dict[str, str] | None = None) -> Reply:
        """The incident now, or at `version` / `as_of` (with `axis`) when the params say so."""
        return self.send("GET", f"{API}/incidents/{quote(incident_id, safe='')}", params=params)

    def commands(self, incident_id: str) -> Reply:
        """What this token may send on the incident now (GET /incidents/{id}/commands)."""
        return self.send("GET", f"{API}/incidents/{quote(incident_id, safe='')}/commands")

    def history(self, incident_id: str, params: dict[str, str] | None = None) -> Reply:
        """Its stored events, oldest first (between `from_version` and `to_version` when given)."""
        return self.send("GET", f"{API}/incidents/{quote(incident_id, safe='')}/history", params=params)

    def reveal(self, incident_id: str, reason: str) -> Reply:
        """Read the personal data in full, the read recorded with `reason` (an auditor's, never queued)."""
        path = f"{API}/incidents/{quote(incident_id, safe='')}/personal-data/reveal"
        return self.send("POST", path, {"reason": reason})

    def incidents(self, params: dict[str, str]) -> Reply:
        """One page of `GET /incidents` (the filters and `cursor` as query parameters)."""
        return self.send("GET", f"{API}/incidents", params=params)

    def office_board(self, params: dict[str, str]) -> Reply:
        """The office board, now or `as_of` a past instant (`GET /boards/office`)."""
        return self.send("GET", f"{API}/boards/office", params=params)

    def every_incident(self, params: dict[str, str]) -> Reply:
        """Every page of `GET /incidents`, following `next`, as one answer whose `next` is null."""
        first = self.incidents(params)
        found = list(first.body.get("incidents") or [])
        following = first.body.get("next")
        while following:
            page = self.incidents({**params, "cursor": str(following)}).body
            found += page.get("incidents") or []
            following = page.get("next")
        return Reply(first.status, {**first.body, "incidents": found, "next": None})

    def log_head(self) -> int | None:
        """The log's head as the server reads it now (`/readyz`); None if it cannot say."""
        try:
            position = self.send("GET", "/readyz").body.get("position")
        except (ClientError, ServerUnreachableError):
            return None
        return position if isinstance(position, int) else None

    def send(
        self,
        method: str,
        path: str,
        body: Body | None = None,
        if_match: int | None = None,
        params: dict[str, str] | None = None,
    ) -> Reply:
        """One request; raises ClientError for an error answer, ServerUnreachableError for none."""
        headers = {"If-Match": f'"{if_match}"'} if if_match is not None else {}
        try:
            response = self._http.request(method, path, json=body, headers=headers, params=params)
        except httpx.TransportError as error:
            raise ServerUnreachableError(f"{type(error).__name__}: {error}") from error
        if response.status_code in GATEWAY_STATUSES:
            raise ServerUnreachableError(f"the gateway answered {response.status_code}")
        if response.status_code >= 400:
            raise _client_error(response)
        content = _json_object(response)
        if content is None:
            # A captive portal or proxy page, not our server: as good as no answer, and safe to resend.
            raise ServerUnreachableError(f"an answer that is not the server's JSON ({response.status_code})")
        return Reply(response.status_code, content, response.headers.get("ETag"))


def report_path(kind: str) -> str:
    return f"{API}/{IncidentType(kind).plural}"


def act_path(incident_id: str, command: str) -> str:
    return f"{API}/incidents/{quote(incident_id, safe='')}/commands/{quote(command, safe='')}"


def _json_object(response: httpx.Response) -> Body | None:
    try:
        content = response.json()
    except ValueError:
        return None
    return content if isinstance(content, dict) else None


def _client_error(response: httpx.Response) -> ClientError:
    content = _json_object(response) or {}
    error = content.get("error")
    if isinstance(error, dict):
        field = error.get("field")
        return ClientError(
            response.status_code,
            str(error.get("code") or f"http_{response.status_code}"),
            str(error.get("message") or response.reason_phrase),
            str(field) if field else None,
        )
    # Not the contract's error shape (a proxy, or a framework default): keep what it said, briefly.
    text = str(content.get("detail") or response.text or response.reason_phrase).strip()
    return ClientError(response.status_code, f"http_{response.status_code}", text[:300])
