"""A real SCIM server (scim2-server, through the sandbox) that does not store some user
attributes: it accepts them and drops them, as some servers do (one stores no
``displayName``). A WSGI layer takes them out of every write before the store sees it."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


def forgetting(app: WSGIApplication, paths: frozenset[str]) -> WSGIApplication:
    """``app``, except that user attributes at ``paths`` (top level) are never stored."""

    def forgetful(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if "/Users" not in environ.get("PATH_INFO", "") or method not in ("POST", "PUT", "PATCH"):
            return app(environ, start_response)
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(size) or b"{}")
        if method == "PATCH":
            body["Operations"] = _kept_operations(body.get("Operations", []), paths)
            if not body["Operations"]:  # everything it was sent is dropped: accepted all same
                start_response("204 No Content", [])
                return [b""]
        else:
            body = {k: v for k, v in body.items() if k not in paths}
        raw = json.dumps(body).encode()
        environ = {**environ, "wsgi.input": io.BytesIO(raw), "CONTENT_LENGTH": str(len(raw))}
        return app(environ, start_response)

    return forgetful


def _kept_operations(operations: list[Any], paths: frozenset[str]) -> list[Any]:
    kept = []
    for op in operations:
        if op.get("path") in paths:
            continue
        value = op.get("value")
        if op.get("path") is None and isinstance(value, dict):
            op = {**op, "value": {k: v for k, v in value.items() if k not in paths}}
        kept.append(op)
    return kept
