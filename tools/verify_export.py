#!/usr/bin/env python3
"""Verify an incident-log export offline: `python verify_export.py EXPORT.ndjson --vkey KEY`.

Self-contained on purpose: the standard library plus `cryptography` (Ed25519), nothing from the
project, no server, no database. An export (format "incident-log-export", version 1) is NDJSON:

- line 1, the header: {"type": "header", "format": "incident-log-export", "version": 1, "scope": {...},
  "checkpoint": "<C2SP signed note>", "vkey": "...", "origin": "...", "generated_at": "..."};
- then one event a line: {"type": "event", "index": leaf index, "position": log position,
  "originator_id": "...", "originator_version": n, "topic": "...", "state": base64 of the stored bytes,
  "leaf_hash": base64, "proof": [base64, ...]} (an RFC 9162 inclusion proof against the checkpoint);
- last line, the trailer: {"type": "trailer", "count": number of event lines}.

Checks, in order: the checkpoint's signature by the key given on the command line (C2SP signed-note,
Ed25519), each event's leaf hash recomputed from its fields
(b"incident-log-leaf-v1" ‖ u64 position ‖ u64 version ‖ u32-length-prefixed originator id, topic,
state; leaf hash SHA-256(0x00 ‖ leaf)), each inclusion proof against the checkpoint's root, strictly
increasing indices, and the trailer's count. Exit 0 with a summary, or exit 1 naming the first line
that fails and why.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import struct
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT, VERSION = "incident-log-export", 1
LEAF_LABEL = b"incident-log-leaf-v1"
SIGNATURE_PREFIX = "\u2014 "
ED25519 = b"\x01"


class ExportError(ValueError):
    """What is wrong with one line."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes


# --- RFC 9162 Merkle hashing -------------------------------------------------------------------------


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2: the root a proof of leaf hash `leaf` at `index` in a tree of `size` gives."""
    if not 0 <= index < size:
        raise ExportError(f"leaf {index} is not in a tree of {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if len(p) != 32:
            raise ExportError(f"a proof hash has {len(p)} bytes, not 32")
        if sn == 0:
            raise ExportError("the inclusion proof is longer than the path")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ExportError("the inclusion proof is shorter than the path")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ExportError(f"the inclusion proof for leaf {index} in a tree of {size} does not give the root")


# --- the leaf of one stored row ----------------------------------------------------------------------


def encode_leaf(position: int, version: int, originator_id: str, topic: str, state: bytes) -> bytes:
    def field(value: bytes) -> bytes:
        return struct.pack(">I", len(value)) + value

    return b"".join(
        [
            LEAF_LABEL,
            struct.pack(">QQ", position, version),
            field(originator_id.encode()),
            field(topic.encode()),
            field(state),
        ]
    )


# --- C2SP signed note / tlog-checkpoint --------------------------------------------------------------


def b64(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise ExportError(f"{what} is not a base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ExportError(f"{what} is not base64") from None


def parse_vkey(vkey: str) -> tuple[str, Ed25519PublicKey, bytes]:
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3:
        raise ExportError("a verifier key is name+keyid+key")
    name, hex_id, encoded = parts
    material = b64(encoded, "the verifier key")
    if material[:1] != ED25519 or len(material) != 33:
        raise ExportError("only Ed25519 verifier keys are known here")
    public_key = Ed25519PublicKey.from_public_bytes(material[1:])
    wanted = hashlib.sha256(name.encode() + b"\n" + ED25519 + material[1:]).digest()[:4]
    if wanted.hex() != hex_id:
        raise ExportError("the verifier key's id does not match its name and key")
    return name, public_key, wanted


def open_checkpoint(note: str, vkey: str) -> Checkpoint:
    name, public_key, wanted_id = parse_vkey(vkey)
    if any(ord(c) < 0x20 and c != "\n" for c in note) or not note.endswith("\n"):
        raise ExportError("a note is newline-terminated text without control characters")
    split = note.rfind("\n\n")
    if split < 0:
        raise ExportError("the note has no blank line before its signatures")
    text, lines = note[: split + 1], note[split + 2 :].splitlines()
    verified = False
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX) or line.count(" ") != 2:
            raise ExportError(f"not a signature line: {line!r}")
        signer, encoded = line[len(SIGNATURE_PREFIX) :].split(" ")
        signature = b64(encoded, "a signature")
        if signer != name or signature[:4] != wanted_id:
            continue
        try:
            public_key.verify(signature[4:], text.encode())
        except InvalidSignature:
            raise ExportError(f"the checkpoint's signature by {name} does not verify") from None
        verified = True
        break
    if not verified:
        raise ExportError(f"the checkpoint carries no signature by the key {name} given")
    body = text.split("\n")[:-1]
    if len(body) < 3 or not body[1].isdigit() or (body[1] != "0" and body[1].startswith("0")):
        raise ExportError("a checkpoint's text is its origin, its size and its root hash")
    root = b64(body[2], "the checkpoint's root")
    if len(root) != 32:
        raise ExportError("a checkpoint's root hash is 32 bytes")
    return Checkpoint(body[0], int(body[1]), root)


# --- the export --------------------------------------------------------------------------------------


@dataclass
class Summary:
    events: int = 0
    checkpoint: Checkpoint | None = None
    scope: object = None


def _object(raw: str) -> dict[str, object]:
    try:
        value = json.loads(raw)
    except ValueError:
        raise ExportError("not a JSON line") from None
    if not isinstance(value, dict):
        raise ExportError("not a JSON object")
    return value


def _int(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ExportError(f"{what} is not a non-negative integer")
    return value


def _str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ExportError(f"{what} is not a string")
    return value


def check_header(line: dict[str, object], vkey: str) -> Checkpoint:
    if line.get("type") != "header" or line.get("format") != FORMAT:
        raise ExportError(f"the first line is not an {FORMAT} header")
    if line.get("version") != VERSION:
        raise ExportError(f"format version {line.get('version')!r} is not {VERSION}")
    checkpoint = open_checkpoint(_str(line.get("checkpoint"), "the checkpoint"), vkey)
    if line.get("origin") != checkpoint.origin:
        raise ExportError("the header's origin is not the checkpoint's")
    return checkpoint


def check_event(line: dict[str, object], checkpoint: Checkpoint, after: int) -> int:
    if line.get("type") != "event":
        raise ExportError("not an event line")
    index = _int(line.get("index"), "index")
    if index <= after:
        raise ExportError(f"index {index} does not follow {after}")
    position = _int(line.get("position"), "position")
    leaf = encode_leaf(
        position,
        _int(line.get("originator_version"), "originator_version"),
        _str(line.get("originator_id"), "originator_id"),
        _str(line.get("topic"), "topic"),
        b64(line.get("state"), "state"),
    )
    computed = leaf_hash(leaf)
    if computed != b64(line.get("leaf_hash"), "leaf_hash"):
        raise ExportError(f"the record at position {position} does not hash to its leaf_hash")
    proof = line.get("proof")
    if not isinstance(proof, list):
        raise ExportError("proof is not a list")
    hashes = [b64(p, "a proof hash") for p in proof]
    verify_inclusion(index, checkpoint.size, computed, hashes, checkpoint.root)
    return index


def verify_lines(lines: Iterable[str], vkey: str) -> Summary:
    """Verify an export's lines; raise ExportError with 'line N: why' at the first that fails."""
    summary, checkpoint, after, trailer = Summary(), None, -1, False
    number = 0
    for number, raw in enumerate(lines, start=1):
        try:
            if trailer:
                raise ExportError("a line after the trailer")
            line = _object(raw)
            if checkpoint is None:
                checkpoint = check_header(line, vkey)
                summary.checkpoint, summary.scope = checkpoint, line.get("scope")
            elif line.get("type") == "trailer":
                count = _int(line.get("count"), "count")
                if count != summary.events:
                    raise ExportError(f"the trailer counts {count} events, the file holds {summary.events}")
                trailer = True
            else:
                after = check_event(line, checkpoint, after)
                summary.events += 1
        except ExportError as failure:
            raise ExportError(f"line {number}: {failure}") from None
    if checkpoint is None:
        raise ExportError("line 1: the file is empty")
    if not trailer:
        raise ExportError(f"line {number + 1}: the trailer is missing (the file is truncated)")
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify an incident-log export offline.")
    parser.add_argument("export", help="the NDJSON export file")
    parser.add_argument("--vkey", required=True, help="the verifier key you trust (name+keyid+key)")
    args = parser.parse_args(argv)
    try:
        with open(args.export, encoding="utf-8") as handle:
            summary = verify_lines(handle, args.vkey)
    except ExportError as failure:
        print(f"FAILED {args.export} {failure}", file=sys.stderr)
        return 1
    except (OSError, UnicodeDecodeError) as error:
        print(f"FAILED cannot read {args.export}: {error}", file=sys.stderr)
        return 1
    assert summary.checkpoint is not None
    print(
        f"verified: {summary.events} events, each included in the tree of size {summary.checkpoint.size} "
        f"signed by {summary.checkpoint.origin}; scope {json.dumps(summary.scope, ensure_ascii=False)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
