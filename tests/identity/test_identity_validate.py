"""Issue 17: validate refuses what could make two people one, or one person two."""

from __future__ import annotations

from pathlib import Path


def _write(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "org.yaml").write_text(text, encoding="utf-8")
    return directory


def _validate(cli, directory: Path):  # type: ignore[no-untyped-def]
    return cli("validate", "--dir", directory, "--profile", "generic")


def test_an_nfd_username_beside_its_nfc_twin_is_refused_at_its_place(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    directory = _write(
        tmp_path / "d",
        "users:\n  - userName: josé@example.com\n  - userName: jose\u0301@example.com\n",
    )
    result = _validate(cli, directory)
    assert result.code == 1
    assert "org.yaml:3:15: users[1].userName: 'jose\u0301@example.com' is not in Unicode NFC" in (
        result.err
    )
    # the two spellings are one name: a duplicate too
    assert "user 'jose\u0301@example.com' is defined twice (first at " in result.err


def test_a_compatibility_character_is_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    directory = _write(
        tmp_path / "d",
        "users:\n  - userName: \uff41lice@example.com\ngroups:\n  - displayName: \ufb01nance\n",
    )
    result = _validate(cli, directory)
    assert result.code == 1
    assert "org.yaml:2:15: users[0].userName:" in result.err
    assert "U+FF41 (FULLWIDTH LATIN SMALL LETTER A)" in result.err
    assert "org.yaml:4:18: groups[0].displayName:" in result.err and "U+FB01" in result.err


def test_straße_and_strasse_are_two_users(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    directory = _write(
        tmp_path / "d",
        "users:\n  - userName: straße@example.com\n  - userName: strasse@example.com\n",
    )
    result = _validate(cli, directory)
    assert result.code == 0, result.err


def test_an_externalid_that_is_another_users_key_is_refused_at_both(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    directory = _write(
        tmp_path / "d",
        "users:\n"
        "  - userName: alice@example.com\n"
        "  - userName: mallory@evil.example\n"
        "    externalId: Alice@example.com\n"
        "groups:\n"
        "  - displayName: admins\n"
        "    members: [alice@example.com, mallory@evil.example]\n"
        "  - displayName: contractors\n"
        "    externalId: admins\n",
    )
    result = _validate(cli, directory)
    assert result.code == 1
    err = result.err
    assert (
        "org.yaml:2:15: user 'alice@example.com' has the key 'alice@example.com' (from its "
        "userName), which is also the key of user 'mallory@evil.example' at " in err
    )
    assert "org.yaml:4:17: user 'mallory@evil.example' has the key 'alice@example.com' (from" in err
    assert "org.yaml:6:18: group 'admins' has the key 'admins'" in err
    assert "org.yaml:9:17: group 'contractors' has the key 'admins' (from its externalId)" in err


def test_a_word_mixing_latin_and_cyrillic_is_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    directory = _write(
        tmp_path / "d",
        "users:\n  - userName: иван@example.com\ngroups:\n  - displayName: \u0430dmins\n"
        "    members: [иван@example.com]\n",
    )
    result = _validate(cli, directory)
    assert result.code == 1
    assert "org.yaml:4:18: groups[0].displayName: 'аdmins' mixes Cyrillic and Latin" in result.err
    assert "1 problem found" in result.err
