"""The PHP backend's database, made the way PHP made it: its 11 migration files run by the mariadb client."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from tests._mariadb import find

if TYPE_CHECKING:
    from tests._mariadb import MariaDB

__all__ = ["PHP_SCHEMA", "dump_php_rows", "load_php_database", "run_client"]

PHP_SCHEMA = Path(__file__).parents[1] / "fixtures" / "php_schema"


def run_client(server: MariaDB, database: str, sql: str) -> str:
    """Run SQL with the mariadb command-line client as root (as a PHP deploy script would). Returns stdout."""
    client = find("mariadb") or find("mysql")
    assert client, "mariadb client missing"
    done = subprocess.run(
        [client, "--no-defaults", f"--socket={server.socket}", "-uroot", "--batch", "--raw",
         "--default-character-set=utf8mb4", database],
        input=sql.encode("utf-8"), capture_output=True, timeout=60,
    )
    if done.returncode != 0:
        raise AssertionError(done.stderr.decode("utf-8", "replace"))
    return done.stdout.decode("utf-8")


def load_php_database(server: MariaDB, *, with_data: bool = True) -> tuple[str, str]:
    """A new database holding backend/sql/001…011 (and the app's rows). Returns (url, database name)."""
    url = server.create_database()
    name = url.rsplit("/", 1)[1].split("?")[0]
    files = sorted(PHP_SCHEMA.glob("0*.sql"))
    assert len(files) == 11, files
    for path in files:
        run_client(server, name, path.read_text(encoding="utf-8"))
    if with_data:
        run_client(server, name, (PHP_SCHEMA / "data.sql").read_text(encoding="utf-8"))
    return url, name


def dump_php_rows(server: MariaDB, database: str, tables: dict[str, list[str]]) -> dict[str, str]:
    """The rows of PHP's own columns, table by table, as the client prints them (ordered by primary key)."""
    out: dict[str, str] = {}
    for table, cols in sorted(tables.items()):
        quoted = ", ".join(f"`{c}`" for c in cols)
        out[table] = run_client(server, database, f"SELECT {quoted} FROM `{table}` ORDER BY 1")
    return out
