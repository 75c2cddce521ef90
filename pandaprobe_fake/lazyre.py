"""Start-up: marshmallow.validate compiles two large e-mail regular expressions when it is
imported (Email.USER_REGEX, DOMAIN_REGEX: ~20 ms, a tenth of the fake's start-up), for an
e-mail validator the fake never uses.  `import_marshmallow()` imports marshmallow with the
patterns compiled by marshmallow's own modules (validate.py's are the only ones at import)
made on first use instead (LazyPattern); the standard-library modules marshmallow imports are
imported before, as usual, and `re.compile` is itself again right after.  Run first by the
package (__init__.py)."""

from __future__ import annotations

import re
import sys
import threading
from typing import Any

_compile = re.compile  # the real one, whatever re.compile is for a moment


class LazyPattern:
    """A regular expression compiled the first time it is used."""

    def __init__(self, pattern: Any, flags: int = 0):
        self._args, self._compiled, self._lock = (pattern, flags), None, threading.Lock()

    def _get(self) -> re.Pattern:
        if self._compiled is None:
            with self._lock:
                if self._compiled is None:
                    self._compiled = _compile(*self._args)
        return self._compiled

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # e.g. abc's look for __isabstractmethod__: not a use
            raise AttributeError(name)
        return getattr(self._get(), name)

    def __repr__(self) -> str:
        return repr(self._get())


# What marshmallow's modules import from the standard library (marshmallow 3.20 - 4.x),
# imported with the real re.compile.
STDLIB = ("abc", "collections", "collections.abc", "copy", "datetime", "decimal", "email.utils",
          "enum", "functools", "inspect", "ipaddress", "itertools", "json", "math", "numbers",
          "operator", "typing", "uuid", "warnings")


def import_marshmallow() -> None:
    if "marshmallow" in sys.modules:
        return
    import importlib

    for name in STDLIB:
        importlib.import_module(name)
    re.compile = LazyPattern  # type: ignore[assignment]  (only while marshmallow's modules run)
    try:
        import marshmallow  # noqa: F401
    finally:
        re.compile = _compile
