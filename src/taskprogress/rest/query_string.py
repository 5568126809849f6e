"""Query-string parameters as ZStack's RestServer reads them (pure, no I/O).

- a scalar parameter may appear once (several values: 400);
- booleans go through Java's ``Boolean.valueOf``: ``true`` in any case is true, anything else false;
- a list is repeated (``systemTags=a&systemTags=b``) or indexed (``systemTags.0=a``); ``zssdk.py`` sends Python
  reprs (``systemTags=['a', 'b']``), which are read as the list they print;
- parameters nobody asks for are ignored (``zssdk.py`` sends ``sessionId`` and path variables too).
"""

from __future__ import annotations

import ast
import re

from taskprogress.rest.errors import RestError

_REPR_MAX = 4096  # a longer "['...']" is taken as one literal value, never evaluated


class QueryString:
    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items

    def values(self, name: str) -> list[str]:
        return [v for k, v in self._items if k == name]

    def scalar(self, name: str) -> str | None:
        values = self.values(name)
        if len(values) > 1:
            raise RestError(400, f"Invalid query parameter[{name}], only one value is allowed, but got {values}")
        return values[0] if values else None

    def boolean(self, name: str, default: bool = False) -> bool:
        text = self.scalar(name)
        return default if text is None else text.lower() == "true"

    def integer(self, name: str) -> int | None:
        """Java's ``Double.valueOf`` then truncation (``10.7`` is 10); not a number: 400."""
        text = self.scalar(name)
        if text is None:
            return None
        try:
            value = float(text)
            return int(value)
        except (ValueError, OverflowError):
            raise RestError(400, f"Invalid query parameter[{name}], [{text}] is not a number") from None

    def strings(self, name: str) -> list[str]:
        indexed = re.compile(rf"{re.escape(name)}\.([0-9]+)")
        plain: list[str] = []
        numbered: list[tuple[int, str]] = []
        for key, value in self._items:
            if key == name:
                plain.extend(_python_list(value))
            elif m := indexed.fullmatch(key):
                numbered.append((int(m.group(1)), value))
        return plain + [v for _, v in sorted(numbered, key=lambda pair: pair[0])]


def _python_list(value: str) -> list[str]:
    """``['a', 'b']`` (a Python repr, as ``zssdk.py`` sends lists) becomes ``a``, ``b``; anything else stays one."""
    text = value.strip()
    if not (text.startswith("[") and text.endswith("]")) or len(text) > _REPR_MAX:
        return [value]
    try:
        parsed = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return [value]
    if isinstance(parsed, list) and all(isinstance(x, str | int | float | bool) for x in parsed):
        return [str(x) for x in parsed]
    return [value]
