"""What a JSON request body must be before any route reads it: UTF-8, one value per key, plain numbers.

Python's json module is lenient where the API must not be: it detects UTF-16 and UTF-32, keeps the last
of two equal keys (so a body can say two things and mean one), reads NaN, Infinity and numbers of thousands of digits, and decodes
"\\ud800" into a lone surrogate no UTF-8 store can hold. Each of these is refused here, naming it.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_INTEGER_DIGITS = 20


class JSONBodyError(ValueError):
    """The body is not JSON the API accepts; the message says what is wrong."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise JSONBodyError(f"the key {key!r} appears twice in one object")
        seen[key] = value
    return seen


def _integer(text: str) -> int:
    # Beyond a signed 64-bit column (19 digits) no field takes it; int() itself refuses 4300 digits.
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise JSONBodyError(f"a number with {len(text)} digits is larger than any field takes")
    return int(text)


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONBodyError(f"the number {text[:40]} is too large to be a number the API takes")
    return value


def _constant(name: str) -> Any:
    raise JSONBodyError(f"{name} is not a JSON number")


def _check_strings(value: Any) -> None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise JSONBodyError("a string holds a lone surrogate escape (such as \\ud800)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key)
            _check_strings(item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)


def check_json_body(body: bytes) -> None:
    """Raise JSONBodyError unless `body` is strict JSON in UTF-8 (an empty body is left to the route)."""
    if not body:
        return
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise JSONBodyError(f"the body is not UTF-8 (byte {error.start})") from None
    if text.startswith("\ufeff"):
        raise JSONBodyError("the body starts with a byte-order mark")
    try:
        parsed = json.loads(
            text, object_pairs_hook=_pairs, parse_constant=_constant, parse_int=_integer, parse_float=_number
        )
    except json.JSONDecodeError as error:
        raise JSONBodyError(f"the body is not JSON: {error.msg} at character {error.pos}") from None
    _check_strings(parsed)
