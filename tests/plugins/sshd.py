"""A real OpenSSH server on loopback, started once per test session (fixture ``sshd``).

Own config, own host key and client key, ``Subsystem sftp internal-sftp``, public-key auth only, running as
the current user. Skipped with the reason when ``sshd``/``ssh-keygen`` are not installed.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["SSHServer", "sshd"]


@dataclass(frozen=True)
class SSHServer:
    host: str
    port: int
    user: str
    key_file: Path  # the client's private key
    root: Path  # a folder the tests may write into (its own per session)

    def url(self, path: str | Path) -> str:
        return f"sftp://{self.user}@{self.host}:{self.port}{Path(path).as_posix()}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _find(name: str) -> str | None:
    return shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.path.exists(p)), None
    )


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SSHServer]:
    sshd_bin, keygen = _find("sshd"), _find("ssh-keygen")
    if not sshd_bin or not keygen:
        pytest.skip("OpenSSH server not installed (apt-get install -y openssh-server)")
    base = tmp_path_factory.mktemp("sshd")
    host_key, client_key = base / "host_ed25519", base / "client_ed25519"
    for key in (host_key, client_key):
        subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    authorized = base / "authorized_keys"
    authorized.write_text(Path(str(client_key) + ".pub").read_text())
    authorized.chmod(0o600)
    port = _free_port()
    config = base / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {host_key}",
                f"PidFile {base / 'sshd.pid'}",
                f"AuthorizedKeysFile {authorized}",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PubkeyAuthentication yes",
                "UsePAM no",
                "StrictModes no",
                "PermitRootLogin yes",
                "Subsystem sftp internal-sftp",
                "LogLevel ERROR",
                "",
            ]
        )
    )
    Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # privilege separation dir sshd insists on
    check = subprocess.run([sshd_bin, "-t", "-f", str(config)], capture_output=True, text=True)
    if check.returncode != 0:
        # sshd is installed, so a refused config is this fixture's bug: fail loudly instead of skipping
        # every SFTP test.
        pytest.fail(f"sshd refuses the test config: {check.stderr.strip()}")
    proc = subprocess.Popen(
        [sshd_bin, "-f", str(config), "-D", "-e"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr else ""
                proc.kill()
                pytest.fail(f"sshd did not start: {err.strip()}")
            time.sleep(0.05)
    root = base / "files"
    root.mkdir()
    try:
        yield SSHServer("127.0.0.1", port, getpass.getuser(), client_key, root)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
