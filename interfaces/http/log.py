"""The log's tamper evidence for auditors: its signed checkpoint, the key, inclusion and consistency proofs."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from application.access.principal import Principal
from application.audit.log_tree import LogTree
from application.audit.merkle import ProofError
from application.audit.signed_note import verifier_key
from application.errors import AccessDeniedError
from domain.values import Role
from interfaces.http.auth import CurrentPrincipal
from interfaces.http.board_reads import App

MAX_POSITION = 2**63 - 1  # a bigint: beyond it no store holds a row
router = APIRouter(
    prefix="/api/v1/log",
    tags=["log"],
    responses={
        401: {"description": "Missing, unknown or revoked token"},
        403: {"description": "Only auditors and the office read the log's evidence"},
        404: {"description": "No checkpoint yet, or no event at that position in the tree"},
        422: {"description": "Invalid input, or sizes no signed tree has"},
        503: {"description": "This server keeps no tree of the log"},
    },
)
AUDIT_ROLES = (Role.AUDITOR, Role.OFFICE)


class InclusionProofOut(BaseModel):
    """The audit path of one event in the tree of `tree_size` (RFC 9162 §2.1.3, hashes in base64)."""

    position: int
    leaf_index: int
    tree_size: int
    leaf_hash: str
    proof: list[str]


class ConsistencyProofOut(BaseModel):
    """The proof that the tree of `from_size` is a prefix of the tree of `to_size` (RFC 9162 §2.1.4)."""

    from_size: int
    to_size: int
    proof: list[str]


def _tree(principal: Principal, app: App) -> LogTree:
    if principal.role not in AUDIT_ROLES:
        raise AccessDeniedError(
            f"token {principal.name!r} ({principal.role.value}) may not read the log's proofs"
        )
    if app.log_tree is None:
        raise HTTPException(503, "this server keeps no tree of the log")
    return app.log_tree


def _b64(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]


@router.get("/checkpoint", response_class=PlainTextResponse)
def latest_checkpoint(principal: CurrentPrincipal, app: App) -> str:
    """The latest signed checkpoint: a C2SP signed note (origin, tree size, base64 root hash)."""
    note = _tree(principal, app).latest_checkpoint()
    if note is None:
        raise HTTPException(404, "no checkpoint has been signed yet")
    return note


@router.get("/key", response_class=PlainTextResponse)
def verifier(principal: CurrentPrincipal, app: App) -> str:
    """The key that verifies the checkpoints, as a signed-note verifier key: name+keyid+base64(0x01‖key)."""
    tree = _tree(principal, app)
    return verifier_key(tree.origin, tree.public_key) + "\n"


@router.get("/proofs/inclusion")
def inclusion(
    principal: CurrentPrincipal,
    app: App,
    position: Annotated[int, Query(ge=1, le=MAX_POSITION, description="The event's position in the log.")],
    size: Annotated[int, Query(ge=1, le=MAX_POSITION, description="The size of a signed checkpoint.")],
) -> InclusionProofOut:
    """The event at `position` is in the tree a checkpoint of `size` commits to."""
    tree = _tree(principal, app)
    leaf = tree.leaf_at(position)
    if leaf is None:
        raise HTTPException(404, f"no event at position {position} is in the tree yet")
    try:
        proof = tree.inclusion(leaf.idx, size)
    except ProofError as error:
        raise HTTPException(422, str(error)) from None
    return InclusionProofOut(
        position=position,
        leaf_index=leaf.idx,
        tree_size=size,
        leaf_hash=_b64([leaf.hash])[0],
        proof=_b64(proof),
    )


@router.get("/proofs/consistency")
def consistency(
    principal: CurrentPrincipal,
    app: App,
    from_size: Annotated[
        int, Query(alias="from", ge=1, le=MAX_POSITION, description="The older checkpoint's size.")
    ],
    to_size: Annotated[
        int, Query(alias="to", ge=1, le=MAX_POSITION, description="The newer checkpoint's size.")
    ],
) -> ConsistencyProofOut:
    """The tree of `from` leaves is a prefix of the tree of `to`: the log only grew between them."""
    try:
        proof = _tree(principal, app).consistency(from_size, to_size)
    except ProofError as error:
        raise HTTPException(422, str(error)) from None
    return ConsistencyProofOut(from_size=from_size, to_size=to_size, proof=_b64(proof))
