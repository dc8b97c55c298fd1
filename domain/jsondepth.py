"""How deeply a JSON text nests, found without parsing it: Python's json module recurses once per level and fails
with RecursionError (a 500, a traceback) on a text nested a few thousand levels deep. Pure: no I/O."""
from __future__ import annotations

import re

MAX_JSON_DEPTH = 32  # arrays and objects inside each other; our deepest input (a batch of records) needs 5

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def nests_deeper_than(text: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the arrays and objects of `text` (JSON, valid or not) nest deeper than `limit`; brackets inside
    strings do not count. Linear, in C for the most part: a text with fewer brackets than the limit is not read."""
    if isinstance(text, str):
        if text.count("[") + text.count("{") <= limit:
            return False
        data = text.encode()
    elif text.count(b"[") + text.count(b"{") <= limit:
        return False
    else:
        data = text
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub(b'""', data)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth = max(0, depth - 1)
    return False
