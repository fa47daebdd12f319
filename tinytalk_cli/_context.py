"""The object every command receives: global options and lazily made clients (config, engine, API)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer

from ._output import OutputFormat

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from tinytalk_sdk.config import Config

__all__ = ["AppContext", "confirm", "get_ctx", "output_format"]


@dataclass
class AppContext:
    profile: str | None = None
    debug: bool = False
    _config: Config | None = None
    _engine: Engine | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> Config:
        if self._config is None:
            from tinytalk_sdk.config import load_config

            self._config = load_config(self.profile)
            if self._config.warnings:
                from ._output import warn

                for message in self._config.warnings:  # like ssh: every command that reads the file says so
                    warn(message)
        return self._config

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from tinytalk_sdk.db import make_engine

            self._engine = make_engine(self.config.database_url, schema_map=self.config.schema)
        return self._engine

    @property
    def actor(self) -> str:
        """Who is acting, for audit rows: the configured admin user, else the OS user."""
        configured = self.config.get("admin_user")
        if configured:
            return configured
        import getpass

        try:
            return getpass.getuser()
        except Exception:  # no passwd entry in some containers
            return os.environ.get("USER", "unknown")


def get_ctx(ctx: typer.Context) -> AppContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, AppContext):
        obj = AppContext()
        ctx.find_root().obj = obj
    return obj


def output_format(json_: bool = False, csv_: bool = False) -> OutputFormat:
    if json_ and csv_:
        raise typer.BadParameter("choose one of --json and --csv")
    if json_:
        return OutputFormat.json
    if csv_:
        return OutputFormat.csv
    return OutputFormat.auto


def confirm(question: str, *, yes: bool) -> None:
    """Ask before a destructive change. ``--yes`` skips; without a TTY and without ``--yes`` refuse."""
    from tinytalk_sdk import AbortedError

    if yes:
        return
    if not sys.stdin.isatty():
        raise AbortedError(f"{question} — refusing without --yes (stdin is not a terminal)")
    if not typer.confirm(question, default=False, err=True):
        raise AbortedError("aborted, nothing changed")
