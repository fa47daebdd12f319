"""Fixtures of the production-database tests: the PHP-made database on the session MariaDB, a profile on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.proddb._php import load_php_database, run_client

if TYPE_CHECKING:
    from typer.testing import Result

    from tests._mariadb import MariaDB


@dataclass
class PhpDatabase:
    server: MariaDB
    url: str
    name: str

    def sql(self, statements: str) -> str:
        """Run SQL as the PHP app does (its own column names), through the mariadb client."""
        return run_client(self.server, self.name, statements)

    def rows(self, query: str) -> list[list[str]]:
        lines = self.sql(query).splitlines()[1:]
        return [line.split("\t") for line in lines]


@pytest.fixture
def php_db(mariadb: MariaDB) -> Iterator[PhpDatabase]:
    url, name = load_php_database(mariadb)
    try:
        yield PhpDatabase(server=mariadb, url=url, name=name)
    finally:
        mariadb.drop_database(name)


@pytest.fixture
def prod(php_db: PhpDatabase, isolated_env: Path) -> Callable[..., Result]:
    """Invoke `tinytalk --profile prod …` in-process; the profile points at the PHP-made database."""
    from typer.testing import CliRunner

    from tinytalk_cli.main import app

    config = isolated_env / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[profiles.prod]\ndatabase_url = "{php_db.url}"\nadmin_user = "kim-admin"\n',
                      encoding="utf-8")

    def invoke(*args: str, input: str | None = None, **kwargs: Any) -> Result:
        return CliRunner().invoke(app, ["--profile", "prod", *args], input=input, **kwargs)

    return invoke
