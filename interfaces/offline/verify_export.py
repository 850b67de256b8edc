#!/usr/bin/env python3
"""Verify an exported log (NDJSON) offline: no server, no database, the standard library and `cryptography`.

    python verify_export.py EXPORT.ndjson --vkey 'incident-log+1a2b3c4d+AQ...'

Checks, in order: the header's checkpoint is a C2SP signed note carrying a valid Ed25519 signature by the
verifier key you trust (c2sp.org/signed-note, c2sp.org/tlog-checkpoint); every event's leaf hash is
SHA-256(0x00 || leaf) of its own fields; every inclusion proof leads from that leaf to the checkpoint's
root (RFC 9162 section 2.1.3.2); positions only increase; the trailer counts the events. Exit 0 with a
summary when everything holds, 1 naming the first line that does not and why, 2 for a file that is not
an export or a key that cannot be read.

Self-contained on purpose: an auditor runs it on a machine of their own choosing, and it imports
nothing from the product whose output it checks. The leaf encoding it recomputes is

    b"incident-log-leaf-v1" || u64(position) || u64(version) || field(originator id) || field(topic) || field(state)

with u64 8 bytes big-endian and field(x) = u32(len(x)) || x.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import struct
import sys
from collections.abc import Iterator
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT, VERSION = "incident-log-export", 1
LEAF_LABEL = b"incident-log-leaf-v1"
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
TAMPERED, UNREADABLE = 1, 2


class NotVerifiedError(Exception):
    """The export does not verify: which line, and why."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line, self.reason = line, reason


# RFC 9162 section 2.1: the hashes of the tree.


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.3.2: the root an audit path leads to from a leaf hash; ValueError if none."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not within a tree of {size}")
    if any(len(h) != 32 for h in proof):
        raise ValueError("every hash of a proof is 32 bytes")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ValueError("the proof is longer than the path")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ValueError("the proof is shorter than the path")
    return r


# c2sp.org/signed-note and tlog-checkpoint, Ed25519 keys only.


def parse_vkey(vkey: str) -> tuple[str, Ed25519PublicKey, bytes]:
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3:
        raise ValueError("a verifier key is name+keyid+key")
    name, hex_id, encoded = parts
    material = base64.b64decode(encoded, validate=True)
    if material[:1] != b"\x01" or len(material) != 33:
        raise ValueError("only Ed25519 verifier keys (type 0x01) are known here")
    key = Ed25519PublicKey.from_public_bytes(material[1:])
    expected = hashlib.sha256(name.encode() + b"\n" + material).digest()[:4]
    if expected.hex() != hex_id:
        raise ValueError("the verifier key's id does not match its name and key")
    return name, key, expected


def open_checkpoint(note: str, vkey: str) -> tuple[str, int, bytes]:
    """(origin, size, root) of a checkpoint note signed by `vkey`; ValueError otherwise."""
    name, key, key_id = parse_vkey(vkey)
    if not note.endswith("\n") or any(ord(c) < 0x20 and c != "\n" for c in note):
        raise ValueError("a note is newline-terminated text without control characters")
    split = note.rfind("\n\n")
    if split < 0:
        raise ValueError("the note has no blank line before its signatures")
    text = note[: split + 1]
    verified = False
    for line in note[split + 2 :].splitlines():
        if not line.startswith(SIGNATURE_PREFIX) or line.count(" ") != 2:
            raise ValueError(f"not a signature line: {line!r}")
        signer, encoded = line[len(SIGNATURE_PREFIX) :].split(" ")
        signature = base64.b64decode(encoded, validate=True)
        if signer != name or signature[:4] != key_id:
            continue  # another key's signature: ignored, as the spec says
        try:
            key.verify(signature[4:], text.encode())
        except InvalidSignature:
            raise ValueError(f"the signature by {name} does not verify") from None
        verified = True
    if not verified:
        raise ValueError(f"the checkpoint carries no signature by {name}")
    lines = text.split("\n")[:-1]
    if len(lines) < 3 or not lines[1].isdigit() or (lines[1] != "0" and lines[1].startswith("0")):
        raise ValueError("a checkpoint's text is its origin, its size and its root hash")
    root = base64.b64decode(lines[2], validate=True)
    if len(root) != 32:
        raise ValueError("a checkpoint's root hash is 32 bytes")
    return lines[0], int(lines[1]), root


# The export.


def encode_leaf(event: dict[str, Any]) -> bytes:
    def field(value: bytes) -> bytes:
        return struct.pack(">I", len(value)) + value

    return b"".join(
        [
            LEAF_LABEL,
            struct.pack(">QQ", event["position"], event["originator_version"]),
            field(event["originator_id"].encode()),
            field(event["topic"].encode()),
            field(base64.b64decode(event["state"], validate=True)),
        ]
    )


def records(path: str) -> Iterator[tuple[int, dict[str, Any]]]:
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                value = json.loads(line)
            except ValueError:
                raise NotVerifiedError(number, "not a JSON line") from None
            if not isinstance(value, dict):
                raise NotVerifiedError(number, "not a JSON object")
            yield number, value


def verify(path: str, vkey: str) -> dict[str, Any]:
    """Check the whole file; the summary, or NotVerifiedError naming the first line that does not verify."""
    lines = records(path)
    number, header = next(lines, (1, {}))
    if header.get("format") != FORMAT or header.get("version") != VERSION:
        raise NotVerifiedError(number, f"not an {FORMAT} version {VERSION} header")
    try:
        origin, size, root = open_checkpoint(str(header.get("checkpoint", "")), vkey)
    except (ValueError, binascii.Error) as error:
        raise NotVerifiedError(number, f"checkpoint: {error}") from None
    if size != header.get("tree_size") or origin != header.get("origin"):
        raise NotVerifiedError(number, "the header's tree size or origin is not the signed checkpoint's")
    events, last = 0, 0
    for number, value in lines:
        if value.get("trailer") is True:
            if value.get("events") != events:
                raise NotVerifiedError(
                    number, f"the trailer counts {value.get('events')} events, the file holds {events}"
                )
            if next(lines, None) is not None:
                raise NotVerifiedError(number + 1, "lines after the trailer")
            return {"origin": origin, "tree_size": size, "events": events, "scope": header.get("scope")}
        _check_event(number, value, size, root, last)
        events, last = events + 1, value["position"]
    raise NotVerifiedError(number + 1, f"no trailer: the file ends after {events} events (cut short?)")


def _check_event(number: int, event: dict[str, Any], size: int, root: bytes, last: int) -> None:
    try:
        position, index = event["position"], event["leaf_index"]
        if not isinstance(position, int) or position <= last:
            raise NotVerifiedError(number, f"position {position!r} does not follow position {last}")
        if not isinstance(index, int):
            raise NotVerifiedError(
                number, f"position {position}: no leaf of the tree (an event inserted since?)"
            )
        computed = leaf_hash(encode_leaf(event))
        if base64.b64decode(event["leaf_hash"], validate=True) != computed:
            raise NotVerifiedError(
                number, f"position {position}: the leaf hash is not that of the event's fields"
            )
        proof = [base64.b64decode(h, validate=True) for h in event["inclusion_proof"]]
        if root_from_inclusion(index, size, computed, proof) != root:
            raise NotVerifiedError(
                number, f"position {position}: the inclusion proof does not lead to the signed root"
            )
    except (KeyError, TypeError, AttributeError, ValueError, binascii.Error, struct.error) as error:
        if isinstance(error, NotVerifiedError):
            raise
        raise NotVerifiedError(number, f"not a well-formed event ({type(error).__name__}: {error})") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", help="the NDJSON file `incident export` wrote")
    parser.add_argument("--vkey", help="the verifier key you trust (e.g. from `incident key`, kept apart)")
    parser.add_argument(
        "--trust-header-key",
        action="store_true",
        help="use the key in the file itself (checks integrity only)",
    )
    args = parser.parse_args(argv)
    vkey = args.vkey
    if not vkey and args.trust_header_key:
        with open(args.export, encoding="utf-8") as file:
            vkey = str(json.loads(file.readline() or "{}").get("vkey", ""))
    if not vkey:
        print("give --vkey (the key you trust), or --trust-header-key", file=sys.stderr)
        return UNREADABLE
    try:
        parse_vkey(vkey)
    except (ValueError, binascii.Error) as error:
        print(f"the verifier key cannot be read: {error}", file=sys.stderr)
        return UNREADABLE
    try:
        summary = verify(args.export, vkey)
    except NotVerifiedError as failed:
        print(f"NOT VERIFIED {args.export}: {failed}", file=sys.stderr)
        return TAMPERED
    except OSError as error:
        print(f"cannot read {args.export}: {error}", file=sys.stderr)
        return UNREADABLE
    print(
        f"VERIFIED {args.export}: {summary['events']} events, each in the tree of {summary['tree_size']} "
        f"signed by {summary['origin']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
