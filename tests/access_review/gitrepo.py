"""A real git repository in a test's folder: commits by named authors, a day apart."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

START = 1_767_225_600
"""2026-01-01T00:00:00Z: the first commit's time; each next commit is a day later."""


class GitRepo:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.commits: list[str] = []
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=self.root,
            env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
            | (env or {}),
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def write(self, path: str, text: str) -> Path:
        file = self.root / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
        return file

    def commit(self, files: dict[str, str], author: str, message: str) -> str:
        """Write ``files`` and commit every change as ``author`` ("Name <email>")."""
        for path, text in files.items():
            self.write(path, text)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message, env=self._as(author))
        return self._made()

    def merge(self, branch: str, author: str) -> str:
        """Merge ``branch`` into the branch checked out, with a merge commit."""
        self.git("merge", "-q", "--no-ff", "-m", f"Merge {branch}", branch, env=self._as(author))
        return self._made()

    def _as(self, author: str) -> dict[str, str]:
        name, _, email = author.partition(" <")
        moment = f"@{START + 86_400 * len(self.commits)} +0000"
        who = {"NAME": name, "EMAIL": email.rstrip(">"), "DATE": moment}
        return {f"GIT_{role}_{k}": v for role in ("AUTHOR", "COMMITTER") for k, v in who.items()}

    def _made(self) -> str:
        sha = self.git("rev-parse", "HEAD").strip()
        self.commits.append(sha)
        return sha
