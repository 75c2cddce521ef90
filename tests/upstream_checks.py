"""A schemathesis check for the run against upstream's document (SCHEMATHESIS_HOOKS):
a request that document allows must not be refused by the fake, unless the real server
refuses it too or breaks on it (contract.REJECTIONS, contract.NOT_FOUND)."""

from __future__ import annotations

import re

import schemathesis

import contract
import fuzz_hooks  # noqa: F401  (its hooks are registered on import)

EXPLAINED = [re.compile(pattern) for pattern, _ in contract.REJECTIONS]


@schemathesis.check
def accepts_what_upstream_accepts(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        body = {}
    detail = body.get("detail") if isinstance(body, dict) else None
    if response.status_code == 404 and re.match(contract.NOT_FOUND, str(detail)):
        return None
    if response.status_code == 422 and isinstance(body, dict):
        messages = [error.get("message", "") for error in body.get("errors", [])] or [str(detail)]
        if all(any(p.search(m) for p in EXPLAINED) for m in messages):
            return None
    raise AssertionError(
        f"upstream's document allows this request but the fake answered "
        f"{response.status_code} {body}")


@schemathesis.hook
def filter_case(ctx, case):
    """No case with an empty path parameter (e.g. a session id "" taken from a listed session
    by a stateful link): an empty segment is another URL (`/sessions/` is redirected to the list
    `/sessions`, by the real server's FastAPI and the fake alike), not that operation."""
    return all(value not in ("", None) for value in (case.path_parameters or {}).values())
