"""JSON from outside, read with limits: size and nesting depth are checked on the raw bytes *before* the
parser sees them (Python's parser recurses, and a body nested a thousand deep raises ``RecursionError``), and
text that cannot be stored (a lone UTF-16 surrogate such as ``"\\ud800"``, or a NUL, which PostgreSQL's
text refuses) is replaced by U+FFFD, with one warning line.

The depth scanner is a loop over the bytes, with no recursion, that tracks only whether it is inside a
string; it is exact for valid JSON and harmless for invalid JSON (the parser then refuses it).
"""

from __future__ import annotations

import json
import logging
from typing import Any

log = logging.getLogger(__name__)

MAX_DEPTH = 32  # a Telegram update or a WhatsApp webhook is at most about eight deep
MAX_BYTES = 1024 * 1024
REPLACEMENT = "\ufffd"

_OPEN = frozenset(b"[{")
_CLOSE = frozenset(b"]}")
_QUOTE, _BACKSLASH = ord('"'), ord("\\")


class RefusedJson(ValueError):
    """The body is not JSON we read: ``reason`` is a short word for the 400 answer (no body content)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in ``body``, counted without parsing."""
    deepest = level = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPEN:
            level += 1
            deepest = max(deepest, level)
        elif byte in _CLOSE:
            level -= 1
    return deepest


def loads(body: bytes, *, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES) -> Any:
    """``body`` parsed, with lone surrogates replaced (one warning line, without the text). Raises
    ``RefusedJson`` when it is too large, too deep or not JSON."""
    if len(body) > max_bytes:
        raise RefusedJson("too large")
    if depth(body) > max_depth:
        raise RefusedJson("too deep")
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise RefusedJson("not JSON") from None
    value, replaced = replace_lone_surrogates(value)
    if replaced:
        log.warning("json body: %d text value(s) held a lone surrogate or a NUL; replaced by U+FFFD", replaced)
    return value


def _unstorable(char: str) -> bool:
    return char == "\x00" or 0xD800 <= ord(char) <= 0xDFFF


def _has_surrogate(text: str) -> bool:
    """A lone surrogate (not UTF-8) or a NUL (PostgreSQL's text refuses it): not storable as it is."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def storable(text: str) -> str:
    """``text`` with each lone surrogate and NUL replaced by U+FFFD (the same text when there is none)."""
    return "".join(REPLACEMENT if _unstorable(char) else char for char in text) if _has_surrogate(text) else text


def replace_lone_surrogates(value: Any) -> tuple[Any, int]:
    """``value`` with every string (keys too) that cannot be encoded as UTF-8 cleaned, and how many were;
    walked with a stack, not recursion. A valid surrogate pair never reaches here: the parser joins it."""
    count = 0

    def fix(text: str) -> str:
        nonlocal count
        if not _has_surrogate(text):
            return text
        count += 1
        return "".join(REPLACEMENT if _unstorable(char) else char for char in text)

    if isinstance(value, str):
        return fix(value), count
    root: list[Any] = [value]
    stack: list[Any] = [root]
    while stack:
        container = stack.pop()
        items = list(container.items()) if isinstance(container, dict) else list(enumerate(container))
        for key, item in items:
            if isinstance(container, dict) and isinstance(key, str) and _has_surrogate(key):
                del container[key]
                key = fix(key)
            if isinstance(item, str):
                item = fix(item)
            elif isinstance(item, dict | list):
                stack.append(item)
            container[key] = item
    return root[0], count
