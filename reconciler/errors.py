"""The one error tree of the project.

Every error a user can cause or meet is a ``ReconcileError``; the CLI maps each
branch to an exit code and prints its message, never a traceback::

    ReconcileError                      exit 1 unless noted
    ├── InputError                      bad desired state, targets.yaml or flags
    │   └── ValidationFailed            every problem found, each with file:line:column
    ├── PlanFileError                   a saved plan that is stale as a whole (exit 3)
    ├── LockedError                     another apply holds the target's lock
    ├── ScimError                       anything between us and the SCIM server
    │   ├── TransportError              connection refused, TLS, timeout, reset
    │   │   └── AmbiguousWriteError     a POST that may or may not have been applied
    │   ├── AuthError                   401 / 403: the token is wrong or lacks rights
    │   ├── ServerError                 an HTTP error status, with the SCIM error body
    │   ├── ProtocolError               an answer that is not the SCIM we expect
    │   └── IncompleteReadError         a listing we cannot trust: no plan is made
    └── RefusedError                    a safety rule said no (exit 3)

Messages say what failed and what to do. None of them ever holds a token: the
client never puts the Authorization header into any text.
"""

from __future__ import annotations

from dataclasses import dataclass


class ReconcileError(Exception):
    """The root of every error the project raises on purpose."""

    exit_code = 1


class InputError(ReconcileError):
    """The desired state, the configuration or the command line is wrong."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, at a place a user can open."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class ValidationFailed(InputError):
    """Validation found problems; all of them are listed, sorted by place."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [str(p) for p in self.problems]
        super().__init__("\n".join([*lines, f"{count} {noun} found; nothing was changed."]))


class PlanFileError(ReconcileError):
    """A saved plan that is stale: of another version, target or desired state (exit 3)."""

    exit_code = 3


class LockedError(ReconcileError):
    """Another apply against the same target runs on this machine (or the lock cannot
    be taken): nothing was changed."""


class ScimError(ReconcileError):
    """A failure talking to the SCIM server."""


class TransportError(ScimError):
    """The request did not get an HTTP answer."""


class AmbiguousWriteError(TransportError):
    """A non-idempotent request (POST) failed in a way that hides whether it was applied.

    The client does not send it again, since that could create a second resource;
    the caller should look the resource up by its key and continue from what it finds.
    """


class AuthError(ScimError):
    """The server refused our credentials (401) or their rights (403)."""


class ServerError(ScimError):
    """The server answered with an error status."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        scim_type: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.scim_type = scim_type
        self.detail = detail


class ProtocolError(ScimError):
    """The server answered, but not with the SCIM we can rely on."""


class IncompleteReadError(ScimError):
    """A listing could not be read whole; planning from it could delete by mistake."""


class RefusedError(ReconcileError):
    """A safety rule refused the change (protected, over a limit, stale plan)."""

    exit_code = 3
