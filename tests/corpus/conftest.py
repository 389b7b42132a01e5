"""The corpus runs commands in-process: the last-seen guard's records go to a temporary
directory, not ~/.cache."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def own_cache(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("SCIMCTL_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
