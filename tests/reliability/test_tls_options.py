"""Issue 5, item 7 (TLS): verified by default; `--ca-bundle` (or a target's ca_bundle)
trusts a private CA; `--insecure` works only with a loud warning; a CA bundle that does
not exist is a clear error before anything is sent.

An HTTPS proxy on 127.0.0.1 with a self-signed certificate (made with the openssl
command at test time) terminates TLS in front of a real sandbox.
"""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import TOKEN, Server
from tests.faults.proxy import CannedServer, FaultProxy, Incoming, Reply
from tests.needs import tool
from tests.reliability.support import origin_of, write_targets

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("few_retries")]

ORG = "users:\n  - userName: ada@example.com\n"
WARNING = "WARNING: --insecure: TLS certificates are NOT verified"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, and its key."""
    tool("openssl", "apt-get install openssl; it makes the test certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def https(
    generic_server: Server, certificate: tuple[Path, Path], proxy: Callable[..., FaultProxy]
) -> tuple[Server, FaultProxy]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, certificate))
    return generic_server, proxy(generic_server.url, tls=context)


def _org(tmp_path: Path) -> Path:
    directory = tmp_path / "org"
    directory.mkdir()
    (directory / "org.yaml").write_text(ORG)
    return directory


def _url(server: Server, tls: FaultProxy) -> str:
    return tls.url + server.url[len(origin_of(server.url)) :]


def test_tls_is_verified_by_default(cli, https: tuple[Server, FaultProxy], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server, tls = https
    env = {**server.env, "SCIM_URL": _url(server, tls)}
    result = cli("plan", "--dir", _org(tmp_path), env=env)
    assert result.code == 1
    assert f"TLS with {_url(server, tls)} failed" in result.err
    assert "pass its certificate with --ca-bundle" in result.err
    assert tls.requests() == []  # not one request went over the unverified connection
    assert "Traceback" not in result.err


def test_ca_bundle_trusts_a_private_ca(
    cli,  # type: ignore[no-untyped-def]
    https: tuple[Server, FaultProxy],
    certificate: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    server, tls = https
    env = {**server.env, "SCIM_URL": _url(server, tls)}
    result = cli("plan", "--dir", _org(tmp_path), "--ca-bundle", certificate[0], env=env)
    assert result.code == 0, result.err
    assert "+ create user ada@example.com" in result.out
    assert WARNING not in result.err
    assert tls.requests()


def test_a_targets_ca_bundle_trusts_a_private_ca(
    cli,  # type: ignore[no-untyped-def]
    https: tuple[Server, FaultProxy],
    certificate: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    server, tls = https
    directory = _org(tmp_path)
    write_targets(directory, _url(server, tls))
    with (directory / "targets.yaml").open("a") as targets:
        targets.write(f"    ca_bundle: {certificate[0]}\n")
    result = cli("plan", "--dir", directory, env={"SCIM_TOKEN": TOKEN})
    assert result.code == 0, result.err


def test_a_relative_ca_bundle_is_read_beside_its_targets_file(
    cli,  # type: ignore[no-untyped-def]
    https: tuple[Server, FaultProxy],
    certificate: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    """Not from the working directory (issue 18, 1): `ca_bundle: ca.pem` is the ca.pem
    next to the targets.yaml that names it, wherever scimctl runs."""
    server, tls = https
    directory = _org(tmp_path)
    write_targets(directory, _url(server, tls))
    (directory / "ca.pem").write_bytes(certificate[0].read_bytes())
    with (directory / "targets.yaml").open("a") as targets:
        targets.write("    ca_bundle: ca.pem\n")
    result = cli("plan", "--dir", directory, env={"SCIM_TOKEN": TOKEN})
    assert result.code == 0, result.err
    assert "+ create user ada@example.com" in result.out


@pytest.mark.parametrize("command", ["plan", "apply", "check", "drift", "import"])
def test_insecure_works_only_with_a_loud_warning(
    cli,  # type: ignore[no-untyped-def]
    https: tuple[Server, FaultProxy],
    tmp_path: Path,
    command: str,
) -> None:
    server, tls = https
    directory = _org(tmp_path)
    env = {**server.env, "SCIM_URL": _url(server, tls)}
    extra = {
        "apply": ["--auto-approve"],
        "import": ["--out", str(tmp_path / "imported")],
    }.get(command, [])
    target = [] if command == "import" else ["--dir", str(directory)]
    result = cli(command, *target, *extra, "--insecure", env=env)
    assert WARNING in result.err
    assert "Use --ca-bundle instead" in result.err
    assert tls.requests(), "the command should have gone through, unverified"
    if command != "drift":  # drift also wants a git baseline
        assert result.code == 0, result.out + result.err


@pytest.mark.parametrize("command", ["plan", "apply", "check", "drift"])
def test_a_missing_ca_bundle_is_a_clear_error_before_any_request(
    cli,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    command: str,
) -> None:
    def anything(incoming: Incoming) -> Reply:
        return Reply(500)

    with CannedServer(anything) as listener:
        env = {"SCIM_URL": f"{listener.url}/v2", "SCIM_TOKEN": TOKEN}
        missing = tmp_path / "no-such-ca.pem"
        extra = ["--auto-approve"] if command == "apply" else []
        result = cli(command, "--dir", _org(tmp_path), *extra, "--ca-bundle", missing, env=env)
        assert listener.connections == 0
    assert result.code == 1
    assert result.err.startswith("Error: "), result.err
    assert f"{missing}" in result.err and "no such file" in result.err


def test_a_missing_ca_bundle_in_targets_is_a_clear_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    directory = _org(tmp_path)
    with CannedServer(lambda incoming: Reply(500)) as listener:
        write_targets(directory, f"{listener.url}/v2")
        with (directory / "targets.yaml").open("a") as targets:
            targets.write(f"    ca_bundle: {tmp_path / 'gone.pem'}\n")
        result = cli("plan", "--dir", directory, env={"SCIM_TOKEN": TOKEN})
        assert listener.connections == 0
    assert result.code == 1
    assert "gone.pem" in result.err
    assert "Traceback" not in result.err
