"""A pull request's desired state, fetched as data: no checkout, nothing of it run.

    python -m reconciler.github.pull_files --pull-request 7 --head SHA \\
        --directory desired-state --into "$RUNNER_TEMP/scim-pull" --meta pull-request.json

The head commit's tarball comes from GitHub's API; only the regular files under
``--directory`` are written, below ``--into``; anything outside it is ignored. A link, a
device, a name with a backslash, a file over the size cap or past the count cap inside it
fails the fetch: a plan of the rest would show what it holds as removed. What is written
is then read by the hardened loader of the base branch's tool. ``--head`` (the event's)
must be the pull request's current head, else nothing is fetched (exit 3). ``--meta``
records the pull request, its head, its base branch and who pushed the head
(``--base-ref``, ``--pusher``: the event's), which travel with the saved plan so that the
apply after the merge can tell it is the plan of that head.
"""

from __future__ import annotations

import argparse
import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from reconciler.errors import GitHubError, InputError, RefusedError
from reconciler.escaping import printable
from reconciler.github.api import GitHubApi, GitHubRepo, check_sha
from reconciler.github.entry import run_step
from reconciler.github.reviews import LOGIN

MAX_TARBALL = 512 * 1024 * 1024
MAX_FILE = 64 * 1024 * 1024
MAX_FILES = 200_000


@dataclass(frozen=True)
class Fetched:
    files: int


def head_of(api: GitHubApi, number: int, head: str) -> str:
    """The pull request's current head; ``head`` (the event's), when given, must be it: a
    run of an older head (a re-run after newer pushes) fetches nothing and plans nothing."""
    pull = api.get(api.repo.path("pulls", number))
    found = pull.get("head") if isinstance(pull, dict) else None
    current = check_sha(found.get("sha") if isinstance(found, dict) else None, "the head")
    if head and check_sha(head, "--head") != current:
        raise RefusedError(
            f"pull request #{number}'s head is now {current[:12]}, not {head[:12]}, the "
            "commit this run is for (a re-run of an older push?): nothing was fetched or "
            "planned; the run of the current head plans it"
        )
    return current


def fetch(api: GitHubApi, head: str, directory: str, into: Path) -> Fetched:
    """Write ``directory``'s regular files at commit ``head`` below ``into``."""
    wanted = _relative(directory)
    body = api.download(api.repo.path("tarball", head), MAX_TARBALL)
    files = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
            for member in archive:
                inside = _inside(member.name, wanted)
                if inside is None:
                    continue
                if member.isdir():
                    continue
                _refuse_partial(member, files)
                _write(archive, member, into / wanted / inside)
                files += 1
    except (tarfile.TarError, EOFError, OSError) as error:
        raise GitHubError(f"the pull request's tarball could not be read ({error})") from None
    return Fetched(files)


def _refuse_partial(member: tarfile.TarInfo, files: int) -> None:
    """Fail the fetch for a member of the directory that cannot be written whole: a
    plan of the rest would show as removed what the pull request holds."""
    why = (
        "is not a regular file (a link?)"
        if not member.isfile()
        else f"is over {MAX_FILE} bytes"
        if member.size > MAX_FILE
        else "has a backslash in its path, which is not fetched"
        if "\\" in member.name
        else None
    )
    if files >= MAX_FILES:
        why = f"is past the limit of {MAX_FILES} files"
    if why is not None:
        raise GitHubError(
            f"{printable(member.name)} in the pull request {why}: nothing was planned "
            "(a plan without it would show its users and groups as removed)"
        )


def _relative(directory: str) -> PurePosixPath:
    path = PurePosixPath(directory)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise InputError(f"--directory {directory!r} must be a path inside the repository")
    return path


def _inside(name: str, wanted: PurePosixPath) -> PurePosixPath | None:
    """The member's path below ``wanted``, or None when it is elsewhere or unsafe."""
    parts = PurePosixPath(name).parts[1:]  # GitHub's tarball has one top folder
    if any(p in ("..", "", ".") for p in parts):
        return None  # a path that leaves the directory is not in it
    n = len(wanted.parts)
    if len(parts) <= n or tuple(parts[:n]) != wanted.parts:
        return None
    return PurePosixPath(*parts[n:])


def _write(archive: tarfile.TarFile, member: tarfile.TarInfo, path: Path) -> None:
    source = archive.extractfile(member)
    if source is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with source, open(path, "xb") as target:
        target.write(source.read(MAX_FILE))


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m reconciler.github.pull_files")
    parser.add_argument("--pull-request", type=int, required=True)
    parser.add_argument("--head", default="")
    parser.add_argument("--directory", default="desired-state")
    parser.add_argument("--into", type=Path, required=True)
    parser.add_argument("--meta", type=Path, required=True)
    parser.add_argument("--base-ref", default="")
    parser.add_argument("--pusher", default="")
    return parser.parse_args(argv)


def run(argv: Sequence[str], env: Mapping[str, str]) -> int:
    args = parse(argv)
    if args.pull_request < 1:
        raise InputError("--pull-request must be a pull request's number")
    args.into.mkdir(parents=True, exist_ok=True)
    with GitHubApi(GitHubRepo.from_env(env)) as api:
        head = head_of(api, args.pull_request, args.head)
        fetched = fetch(api, head, args.directory, args.into)
    meta = {
        "pull_request": args.pull_request,
        "head_sha": head,
        "base_ref": args.base_ref,
        "pusher": args.pusher if LOGIN.match(args.pusher) else "",
    }
    args.meta.write_text(json.dumps(meta) + "\n")
    print(
        f"Fetched {fetched.files} files of {args.directory}/ of pull request "
        f"#{args.pull_request} at {head[:12]}, as data"
    )
    return 0


if __name__ == "__main__":
    run_step(run)
