"""`incident key`, `incident checkpoint` and `incident verify`: the log's tamper evidence at the command line."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from application.audit.log_tree import LogTree
from application.audit.merkle import ProofError, verify_consistency
from application.audit.signed_note import Checkpoint, NoteError, open_checkpoint, verifier_key
from application.audit.tree_follower import TreeFollower
from application.audit.verify import Verification, verify_stored_log
from application.incident_desk import utc_now
from interfaces.settings import Settings
from interfaces.signing_key import load_or_create_signing_key
from interfaces.sql_engine import engine_for
from interfaces.wiring import make_log_tree, open_desk

TAMPERED = 1  # the exit code of a log that does not verify
NOTHING_TO_VERIFY = 2


class _AlwaysLeader:
    held = True  # one command, run by hand: it is the only writer it needs to be


def key() -> None:
    """Print the key that verifies the log's checkpoints (signed-note verifier key: name+id+key)."""
    settings = Settings.from_env(os.environ)
    signing_key = load_or_create_signing_key(settings.signing_key_path())
    typer.echo(verifier_key(settings.log_origin, signing_key.public_key()))


def checkpoint() -> None:
    """Bring the log's tree up to the head of the log now, sign a checkpoint, and print it."""
    settings = Settings.from_env(os.environ)
    settings.prepare_storage()
    desk, engine = open_desk(settings), engine_for(settings.database_url)
    try:
        tree = make_log_tree(settings, engine)
        TreeFollower(tree, desk.recorder, utc_now, _AlwaysLeader()).catch_up()
        typer.echo(tree.latest_checkpoint(), nl=False)
    finally:
        desk.close()
        engine.dispose()


def verify(
    since: str = typer.Option("", help="A checkpoint file you kept: prove the log only grew from it."),
    vkey: str = typer.Option("", help="The verifier key you trust (default: this deployment's own key)."),
) -> None:
    """Re-hash every stored row against the latest signed checkpoint; exit 1 naming the first position changed."""
    settings = Settings.from_env(os.environ)
    desk, engine = open_desk(settings), engine_for(settings.database_url)
    try:
        tree = make_log_tree(settings, engine)
        trusted = vkey or verifier_key(settings.log_origin, tree.public_key)
        note = tree.latest_checkpoint()
        if note is None:
            typer.echo("no checkpoint has been signed yet: nothing to verify against", err=True)
            raise typer.Exit(NOTHING_TO_VERIFY)
        latest = _opened(note, trusted, "the latest checkpoint")
        older = _opened(Path(since).read_text(), trusted, since) if since else None
        problems = _consistency(tree, older, latest) if older else []
        result = verify_stored_log(tree, desk.recorder, latest, since=older)
        _report(result, problems)
        if problems or not result.intact:
            raise typer.Exit(TAMPERED)
    finally:
        desk.close()
        engine.dispose()


def _opened(note: str, vkey: str, what: str) -> Checkpoint:
    try:
        return open_checkpoint(note, vkey)
    except NoteError as error:
        typer.echo(f"{what} does not verify: {error}", err=True)
        raise typer.Exit(TAMPERED) from None


def _consistency(tree: LogTree, older: Checkpoint, latest: Checkpoint) -> list[str]:
    try:
        proof = tree.consistency(older.size, latest.size)
        verify_consistency(older.size, latest.size, older.root, latest.root, proof)
    except ProofError as error:
        return [f"the latest checkpoint does not extend the one you kept: {error}"]
    return []


def _report(result: Verification, problems: list[str]) -> None:
    size = result.checkpoint.size
    if result.intact and not problems:
        typer.echo(f"intact: {result.rows_checked} rows re-hashed give the signed root at size {size}")
        return
    for finding in result.findings:
        typer.echo(f"TAMPERED {finding}")
    for problem in [*result.problems, *problems]:
        typer.echo(f"TAMPERED {problem}")
