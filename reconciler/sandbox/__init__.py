"""An offline SCIM server to rehearse against: ``scim2-server`` in memory, optionally
behaving as AWS IAM Identity Center documents its SCIM endpoint.

``scim2-server`` is an optional extra, so every module of this package needs it and
this package refuses to import without it, with an error that says what to install.
The public API is in :mod:`reconciler.sandbox.server`::

    from reconciler.sandbox.server import make_app, running

    with running(make_app("token", "aws-identity-center", tenants=True)) as base:
        ...  # base is "http://127.0.0.1:PORT"; resources under f"{base}/<tenant>/v2"
"""

from __future__ import annotations

_EXTRA_MODULES = frozenset({"scim2_server", "scim2_models"})

try:
    import scim2_server  # noqa: F401
except ModuleNotFoundError as exc:  # pragma: no cover - exercised in a subprocess
    if (exc.name or "").partition(".")[0] not in _EXTRA_MODULES:
        raise
    raise ImportError(
        "The SCIM sandbox needs the scim2-server package, an optional extra: "
        "pip install 'scim-reconciler[sandbox]'"
    ) from exc
