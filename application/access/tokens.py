"""Bearer tokens: random, shown once, stored only as a SHA-256 hash, revocable.

A verified token is remembered for TOKEN_CACHE_SECONDS, by its hash, so a request costs no SQL.
A revocation makes every registry of the process that revoked forget at once, and every other process
on the store as soon as it hears of it (application/access/revocations.py: on SQLite at its next
request, on PostgreSQL within milliseconds). If the news is lost, the memory of a token still ends
TOKEN_CACHE_SECONDS after the store last confirmed it: that is the longest a revoked token can pass.

A branch token carries its holder's position (网点负责人, 大堂经理, …), recorded on every event they cause.
The column came after the table: `upgrade_access_tokens` adds it to a table made before it.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, inspect, select, update
from sqlalchemy.exc import SQLAlchemyError

from application.access.principal import Principal
from application.access.revocations import RevocationSignal, signal_for
from application.access.token_cache import TokenCache
from application.store.errors import SchemaNotMigratedError
from domain.errors import InvalidInputError
from domain.organisation import Organisation, UnitKind
from domain.texts import optional_text
from domain.values import Position, Role

NAME_LENGTH = 200
# How long a verified token is served from memory; 0 asks the store on every request.
TOKEN_CACHE_SECONDS = 5.0
metadata = MetaData()
access_tokens = Table(
    "access_tokens",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("role", String(32), nullable=False),
    Column("unit", String(64), nullable=False),
    # A token is 256 random bits, so a fast hash is enough: there is nothing to guess.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    # Added after the first release (upgrade_access_tokens): null for tokens without a position.
    Column("position", String(32), nullable=True),
)

# Roles that act on incidents of one unit; the others are bank-wide.
UNIT_ROLES = {Role.BRANCH: (UnitKind.OUTLET,), Role.OFFICE: tuple(UnitKind)}
ISSUABLE_ROLES = (Role.BRANCH, Role.CALL_CENTRE, Role.OFFICE, Role.AUDITOR, Role.ADMIN)


class TokenError(InvalidInputError):
    """A token could not be issued or revoked as asked; `field` names the input at fault."""

    code = "token_refused"

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message, field=field)


@dataclass(frozen=True)
class TokenRecord:
    """What is kept of a token: never the token itself."""

    id: str
    name: str
    role: Role
    unit: str
    created_at: datetime
    revoked_at: datetime | None
    position: Position | None = None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def upgrade_access_tokens(engine: Engine) -> bool:
    """Add the columns that came after the tokens table to one made before them; True if it did.

    Run by `incident migrate` as the tables' owner, and by every registry on its store (so the
    embedded SQLite file upgrades itself). A server role that may not ALTER gets a clear refusal,
    not a failing query at the first request.
    """
    if _has_position_column(engine):
        return False
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE access_tokens ADD COLUMN position VARCHAR(32)")
    except SQLAlchemyError as error:
        if _has_position_column(engine):  # another process added it first
            return False
        # The tables' owner must migrate it; the entry points add how (interfaces/wiring.py).
        raise SchemaNotMigratedError(
            "the access_tokens table has no position column and this role may not add it "
            f"({type(error).__name__})"
        ) from None
    return True


def _has_position_column(engine: Engine) -> bool:
    return "position" in {c["name"] for c in inspect(engine).get_columns(access_tokens.name)}


class _ProcessRevocations:
    """Counts the revocations made by this process, whichever registry made them."""

    count = 0
    lock = threading.Lock()

    @classmethod
    def add(cls) -> None:
        with cls.lock:
            cls.count += 1


class TokenRegistry:
    """Issues, lists, revokes and verifies bearer tokens in the product's database."""

    def __init__(
        self,
        engine: Engine,
        organisation: Organisation,
        *,
        cache_seconds: float = TOKEN_CACHE_SECONDS,
        signal: RevocationSignal | None = None,
    ) -> None:
        if not (math.isfinite(cache_seconds) and cache_seconds >= 0):
            raise ValueError(f"a token cache of {cache_seconds} seconds: give 0 (off) or a finite time")
        self._engine = engine
        self.organisation = organisation
        self.cache_seconds = cache_seconds
        self._cache = TokenCache(cache_seconds)
        self._signal = signal or signal_for(engine)
        metadata.create_all(engine)
        upgrade_access_tokens(engine)

    def issue(
        self, *, role: Role, unit: str, name: str, now: datetime, position: Position | None = None
    ) -> tuple[TokenRecord, str]:
        """A new token; the returned secret is the only copy that will ever exist."""
        if role not in ISSUABLE_ROLES:
            raise TokenError(f"role {role.value!r} cannot hold a token", field="role")
        if position is not None and role is not Role.BRANCH:
            # Positions are the branch's posts (seed 003); the office and the call centre have none.
            raise TokenError(
                f"a {role.value} token has no position: positions are branch staff's", field="position"
            )
        unit = self._checked_unit(role, unit)
        try:
            # The name is recorded on every event the token's holder causes: the text rule applies.
            name = optional_text(name, "name")
        except InvalidInputError as error:
            raise TokenError(error.message, field="name") from None
        if len(name) > NAME_LENGTH:
            raise TokenError(f"name is longer than {NAME_LENGTH} characters", field="name")
        record = TokenRecord(secrets.token_hex(4), name or role.value, role, unit, now, None, position)
        token = f"inc_{record.id}_{secrets.token_urlsafe(32)}"
        with self._engine.begin() as conn:
            conn.execute(
                access_tokens.insert().values(
                    id=record.id,
                    name=record.name,
                    role=role.value,
                    unit=unit,
                    token_hash=_hash(token),
                    created_at=now,
                    position=position.value if position else None,
                )
            )
        return record, token

    def records(self) -> list[TokenRecord]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(access_tokens).order_by(access_tokens.c.created_at)).all()
        return [self._record(row._mapping) for row in rows]

    def revoke(self, token_id: str, *, now: datetime) -> TokenRecord:
        with self._engine.begin() as conn:
            done = conn.execute(
                update(access_tokens)
                .where(access_tokens.c.id == token_id, access_tokens.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            if done.rowcount == 1:
                self._signal.announce_in(conn, token_id)
        if done.rowcount != 1:
            raise TokenError(f"no active token with id {token_id!r}", field="token_id")
        # Only once committed: a lookup that raced the revocation cannot be remembered after this.
        _ProcessRevocations.add()
        self._signal.announce_after(token_id)
        return next(r for r in self.records() if r.id == token_id)

    def verify(self, token: str) -> Principal | None:
        """The principal a presented token stands for, or None if unknown or revoked."""
        token_hash = _hash(token)
        generation = self._generation()
        if generation is not None:
            remembered = self._cache.get(token_hash, generation)
            if remembered is not None:
                return remembered
        found = self._lookup(token_hash)
        if found is not None and generation is not None:
            self._cache.put(token_hash, found, generation)
        return found

    def remembered(self, token: str) -> Principal | None:
        """The principal, if the token was verified lately and nothing since says otherwise: no SQL,
        so it may be asked on an event loop; None means "ask `verify`", not "refused"."""
        generation = self._generation()
        return None if generation is None else self._cache.get(_hash(token), generation)

    def revocations_seen(self) -> int | None:
        """Grows whenever a revocation is made or heard of; None while news from other processes could
        be missed (then only the store can say which tokens are still active)."""
        seen = self._signal.seen()
        return None if seen is None else _ProcessRevocations.count + seen

    def revoked_among(self, token_ids: Collection[str]) -> set[str]:
        """Which of these token ids are revoked (or unknown), in one query whatever their number."""
        if not token_ids:
            return set()
        with self._engine.connect() as conn:
            active = conn.execute(
                select(access_tokens.c.id).where(
                    access_tokens.c.id.in_(list(token_ids)), access_tokens.c.revoked_at.is_(None)
                )
            ).scalars()
            return set(token_ids) - set(active)

    def close(self) -> None:
        """Stop listening for revocations (PostgreSQL's listening connection)."""
        self._signal.close()

    def _generation(self) -> int | None:
        if self.cache_seconds <= 0:
            return None
        return self.revocations_seen()

    def _lookup(self, token_hash: str) -> Principal | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(access_tokens).where(
                    access_tokens.c.token_hash == token_hash, access_tokens.c.revoked_at.is_(None)
                )
            ).first()
        if row is None:
            return None
        record = self._record(row._mapping)
        return Principal(
            token_id=record.id, name=record.name, role=record.role, unit=record.unit, position=record.position
        )

    def _checked_unit(self, role: Role, unit: str) -> str:
        kinds = UNIT_ROLES.get(role)
        if kinds is None:
            return unit or ""
        if not unit:
            raise TokenError(f"a {role.value} token needs a unit", field="unit")
        found = self.organisation.get(unit)
        if found is None:
            raise TokenError(f"unit {unit!r} is not in the organisation", field="unit")
        if found.kind not in kinds:
            raise TokenError(
                f"a {role.value} token's unit must be an outlet; {unit!r} is a {found.kind.en}", field="unit"
            )
        return unit

    @staticmethod
    def _record(row: object) -> TokenRecord:
        values = dict(row)  # type: ignore[call-overload]
        return TokenRecord(
            id=values["id"],
            name=values["name"],
            role=Role(values["role"]),
            unit=values["unit"],
            created_at=values["created_at"],
            revoked_at=values["revoked_at"],
            position=Position(values["position"]) if values.get("position") else None,
        )
