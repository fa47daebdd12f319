"""A throwaway MariaDB server for the test session: own datadir, free loopback port, stopped at exit.

No Docker here: we run ``mariadbd`` ourselves (SERVICES.md). When the binary is missing the MariaDB tests
skip with a reason, unless ``TINYTALK_REQUIRE_MARIADB=1`` (set by ``make test`` on a root Debian machine,
where it installs the server) turns that into a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find(binary: str) -> str | None:
    return shutil.which(binary) or next(
        (str(p) for p in (Path("/usr/sbin") / binary, Path("/usr/bin") / binary) if p.exists()), None
    )


@dataclass
class MariaDB:
    base: Path
    port: int
    proc: subprocess.Popen[bytes]
    user: str = "tinytalk"
    password: str = "tinytalk-test-pw"

    @property
    def socket(self) -> Path:
        return self.base / "mysql.sock"

    def admin(self, sql: str) -> None:
        client = find("mariadb") or find("mysql")
        assert client, "mariadb client missing"
        subprocess.run(
            [client, "--no-defaults", f"--socket={self.socket}", "-uroot", "-e", sql],
            check=True,
            capture_output=True,
            timeout=30,
        )

    def create_database(self, name: str | None = None) -> str:
        name = name or "t_" + uuid.uuid4().hex[:12]
        self.admin(
            f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; "
            f"GRANT ALL ON `{name}`.* TO '{self.user}'@'127.0.0.1';"
        )
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.admin(f"DROP DATABASE IF EXISTS `{name}`")

    def url(self, name: str) -> str:
        return f"mysql+pymysql://{self.user}:{self.password}@127.0.0.1:{self.port}/{name}?charset=utf8mb4"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.base, ignore_errors=True)


def start_mariadb(*, buffer_pool: str = "64M") -> MariaDB:
    """A private server in a temp folder. ``buffer_pool``: the tests' small default; benches give it more."""
    mariadbd = find("mariadbd") or find("mysqld")
    install_db = find("mariadb-install-db") or find("mysql_install_db")
    if not mariadbd or not install_db:
        raise FileNotFoundError("mariadbd / mariadb-install-db not found (apt-get install mariadb-server)")
    # Not under pytest's tmp dir: that is 0700 and the server runs as `mysql`.
    base = Path(tempfile.mkdtemp(prefix="tinytalk-mariadb-"))
    os.chmod(base, 0o755)
    as_root = os.geteuid() == 0
    user_args = ["--user=mysql"] if as_root else []
    if as_root:
        shutil.chown(base, "mysql", "mysql")
    data = base / "data"
    # Its own tmpdir: implicit temp tables (ORDER BY over a server-side cursor) live there, and a shared
    # /tmp swept by another program on the machine was seen to lose them mid-query.
    tmp = base / "tmp"
    tmp.mkdir()
    if as_root:
        shutil.chown(tmp, "mysql", "mysql")
    subprocess.run(
        [install_db, "--no-defaults", *user_args, f"--datadir={data}",
         "--auth-root-authentication-method=socket", "--skip-test-db"],
        check=True, capture_output=True, timeout=120,
    )
    port = free_port()
    log = base / "error.log"
    proc = subprocess.Popen(
        [mariadbd, "--no-defaults", *user_args, f"--datadir={data}", f"--socket={base / 'mysql.sock'}",
         f"--tmpdir={tmp}", f"--pid-file={base / 'mysqld.pid'}", f"--port={port}", "--bind-address=127.0.0.1",
         "--skip-name-resolve", f"--log-error={log}", f"--innodb-buffer-pool-size={buffer_pool}", "--skip-log-bin",
         "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
         "--innodb-flush-log-at-trx-commit=2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    server = MariaDB(base=base, port=port, proc=proc)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mariadbd exited: {log.read_text(errors='replace')[-2000:] if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    else:
        server.stop()
        raise RuntimeError("mariadbd did not start within 60 s")
    # The TCP port answers a moment before root can log in through the socket.
    for _ in range(100):
        try:
            server.admin(
                f"CREATE USER IF NOT EXISTS '{server.user}'@'127.0.0.1' IDENTIFIED BY '{server.password}'"
            )
            break
        except subprocess.CalledProcessError:
            time.sleep(0.1)
    return server
