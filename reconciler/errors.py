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
    ├── GitHubError                     the GitHub API (pull-request reviews) failed
    └── RefusedError                    a safety rule said no (exit 3)

Messages say what failed and what to do. None of them ever holds a token: the
client never puts the Authorization header into any text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.escaping import printable


class ReconcileError(Exception):
    """The root of every error the project raises on purpose."""

    exit_code = 1


class InputError(ReconcileError):
    """The desired state, the configuration or the command line is wrong."""


SHOWN = 100
"""How many problems a ``ValidationFailed`` prints; the rest are counted. A cautious
operator fixes the first hundred and runs again; 349,543 lines help nobody."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, at a place a user can open."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        # File names and messages quote what files hold: escaped, never raw on a terminal.
        return f"{printable(self.file)}:{self.line}:{self.column}: {printable(self.message)}"


class ProblemLog:
    """Problems as they are found: every one counted, the first ``keep`` by place kept.

    Memory stays bounded whatever a file holds (a 10 MiB file of ``{}`` entries has
    3.5 million problems); the time per problem is a list append and, every ``keep``
    problems, a sort of ``2 × keep``.
    """

    __slots__ = ("_kept", "count", "keep")

    def __init__(self, keep: int = SHOWN) -> None:
        self.keep = keep
        self.count = 0
        self._kept: list[Problem] = []

    def __bool__(self) -> bool:
        return self.count > 0

    def __reduce__(self) -> tuple[object, ...]:
        return _restore_log, (self.keep, self.count, self.kept)

    def add(self, problem: Problem) -> None:
        self.count += 1
        self._kept.append(problem)
        if len(self._kept) >= 2 * self.keep:
            self._trim()

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.add(problem)

    def merge(self, other: ProblemLog) -> None:
        """Take in another log's problems and its count."""
        self._kept += other.kept
        self.count += other.count
        self._trim()

    @property
    def kept(self) -> list[Problem]:
        self._trim()
        return list(self._kept)

    def _trim(self) -> None:
        self._kept.sort()
        del self._kept[self.keep :]

    def raise_if_any(self) -> None:
        if self.count:
            raise ValidationFailed(self.kept, self.count)


def _restore_log(keep: int, count: int, kept: list[Problem]) -> ProblemLog:
    log = ProblemLog(keep)
    log.count = count
    log._kept = kept
    return log


class ValidationFailed(InputError):
    """Validation found problems: the first ``SHOWN`` by place are listed, all are counted."""

    def __init__(self, problems: Iterable[Problem], count: int | None = None) -> None:
        self.problems = sorted(problems)
        self.count = len(self.problems) if count is None else count
        lines = [str(p) for p in self.problems[:SHOWN]]
        more = self.count - len(lines)
        if more > 0:
            lines.append(f"… and {more:,} more {_noun(more)} (fix these and run again)")
        super().__init__(
            "\n".join([*lines, f"{self.count:,} {_noun(self.count)} found; nothing was changed."])
        )

    def log(self) -> ProblemLog:
        """The same problems as a log, to merge with others."""
        return _restore_log(SHOWN, self.count, self.problems[:SHOWN])


def _noun(count: int) -> str:
    return "problem" if count == 1 else "problems"


class PlanFileError(ReconcileError):
    """A saved plan that is stale: of another version, target or desired state (exit 3)."""

    exit_code = 3


class LockedError(ReconcileError):
    """Another apply against the same target runs on this machine (or the lock cannot
    be taken): nothing was changed."""


class GitHubError(ReconcileError):
    """A failure reading from GitHub's REST API (a pull request, its reviews, a team)."""


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
