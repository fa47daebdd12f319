"""`db adopt --apply`: run an adoption plan step by step, journaled, after a backup.

MySQL commits every DDL statement on its own (no transactional DDL), so a step cannot be rolled back and a
run can stop anywhere (killed, connection lost). Each step is therefore idempotent twice over: the journal
table ``tinytalk_adoption_steps`` records it as ``running`` then ``done``, and before running a step not
marked done the live database is asked whether it is already in place (the column exists, the index
exists, the column is nullable, the engine is InnoDB…). A second run skips what is done and resumes at the
step that was cut off. Data steps are batched ``UPDATE … LIMIT n`` statements repeated until no row is
left, each batch its own transaction, so they resume too.

The backup is taken once, before the first step of the first run, with ``mysqldump --single-transaction``
(or ``mariadb-dump``) when one is installed, else through the driver (``SHOW CREATE TABLE`` + ``INSERT``
rows); its path is journaled, and a resumed run names the same file.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import DatabaseError
from .adopt_plan import _JOURNAL_DDL, JOURNAL_TABLE, AdoptPlan, Step

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

__all__ = ["ApplyResult", "apply_adoption", "backup_database", "journal"]

Runner = Callable[..., "subprocess.CompletedProcess[bytes]"]


@dataclass
class ApplyResult:
    database: str
    backup: str
    backup_method: str
    resumed: bool
    ran: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # in place before this run (journal or live check)
    rows: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"database": self.database, "backup": self.backup, "backup_method": self.backup_method,
                "resumed": self.resumed, "ran": self.ran, "already_done": self.already, "rows": self.rows,
                "transactional_ddl": False}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _record(engine: Engine, step_id: str, kind: str, status: str, *, rows: int | None = None,
            detail: str | None = None) -> None:
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(text(
            f"INSERT INTO {JOURNAL_TABLE} (step_id, kind, status, rows_changed, detail, started_at, finished_at) "
            "VALUES (:id, :kind, :status, :rows, :detail, :now, :fin) ON DUPLICATE KEY UPDATE status = :status, "
            "rows_changed = :rows, detail = COALESCE(:detail, detail), finished_at = :fin"),
            {"id": step_id, "kind": kind, "status": status, "rows": rows, "detail": detail, "now": _now(),
             "fin": _now() if status == "done" else None})


def journal(engine: Engine) -> dict[str, dict[str, Any]]:
    """The journal rows by step id (empty when adoption never started)."""
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        if not inspect(conn).has_table(JOURNAL_TABLE):
            return {}
        rows = conn.execute(text(f"SELECT step_id, kind, status, rows_changed, detail FROM {JOURNAL_TABLE}")).all()
    return {str(r[0]): {"kind": r[1], "status": r[2], "rows": r[3], "detail": r[4]} for r in rows}


def _in_place(conn: Connection, step: Step) -> bool:
    """Whether the live database already shows what ``step`` makes (so running it again is skipped)."""
    from sqlalchemy import text

    t = {"t": step.table, "c": step.column}
    if step.kind == "create_table":
        sql = "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t"
    elif step.kind == "add_column":
        sql = ("SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t "
               "AND COLUMN_NAME = :c")
    elif step.kind == "relax_null":
        sql = ("SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t "
               "AND COLUMN_NAME = :c AND IS_NULLABLE = 'YES'")
    elif step.kind in ("index", "unique"):
        t["i"] = step.id.rsplit(".", 1)[1]
        sql = ("SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t "
               "AND INDEX_NAME = :i")
    elif step.kind == "engine":
        sql = ("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t "
               "AND LOWER(ENGINE) = 'innodb'")
    elif step.kind == "charset":
        sql = ("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t "
               "AND TABLE_COLLATION LIKE 'utf8mb4%' AND NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS "
               "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t AND CHARACTER_SET_NAME <> 'utf8mb4')")
    else:
        return False  # toolkit tables, data and stamp are idempotent by their SQL
    return conn.execute(text(sql), t).first() is not None


def _run_step(engine: Engine, step: Step) -> int:
    from sqlalchemy import text

    from .migrate import stamp

    if step.kind == "stamp":
        stamp(engine, "head")
        return 0
    total = 0
    with engine.connect() as conn:
        for sql in step.sql:
            while True:
                result = conn.execute(text(sql))
                conn.commit()
                changed = max(int(result.rowcount or 0), 0)
                total += changed
                if not step.batched or changed == 0:
                    break
    return total


def _dump_client() -> str | None:
    return shutil.which("mariadb-dump") or shutil.which("mysqldump")


def backup_database(engine: Engine, folder: Path, *, client: str | None = None,
                    run: Runner = subprocess.run) -> tuple[Path, str]:
    """Dump the whole database to a new ``.sql`` file in ``folder``. Returns (path, method).

    ``client`` = the dump program (default: ``mariadb-dump`` or ``mysqldump`` on PATH; ``""`` = none, use
    the driver). The password reaches the client through ``MYSQL_PWD``, never its command line.
    """
    url = engine.url
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp_ = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"{url.database}-{stamp_}.sql"
    # The dump holds PIN hashes and PHP's clear tokens: private from its first byte (the client keeps the mode).
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    client = _dump_client() if client is None else client
    if client:
        args = [client, "--single-transaction", "--quick", "--no-tablespaces", "--skip-lock-tables",
                "--default-character-set=utf8mb4", f"--host={url.host or '127.0.0.1'}",
                f"--port={url.port or 3306}", f"--user={url.username or ''}", f"--result-file={path}",
                str(url.database)]
        env = {**os.environ, "MYSQL_PWD": url.password or ""}
        done = run(args, env=env, capture_output=True, timeout=3600)
        if done.returncode == 0:
            return path, f"{Path(client).name} --single-transaction"
        # A client that cannot reach the server (TLS demands, old auth plugin): fall back to the driver.
        from .._redact import redact

        lines = (done.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        _driver_dump(engine, path)
        return path, f"SQL dump through the driver ({Path(client).name} failed: {redact(lines[0] if lines else '?')})"
    _driver_dump(engine, path)
    return path, "SQL dump through the driver"


def _driver_dump(engine: Engine, path: Path) -> None:
    from sqlalchemy import inspect, text

    with engine.connect() as conn, path.open("w", encoding="utf-8") as out:
        raw = conn.connection.dbapi_connection
        escape = getattr(raw, "escape", None)
        assert escape is not None, "the MySQL driver has no escape()"
        out.write("-- tinytalk db adopt backup (SQL dump through the driver)\nSET NAMES utf8mb4;\n"
                  "SET FOREIGN_KEY_CHECKS = 0;\n")
        conn.execute(text("START TRANSACTION WITH CONSISTENT SNAPSHOT"))
        for table in sorted(inspect(conn).get_table_names()):
            create = conn.execute(text(f"SHOW CREATE TABLE `{table}`")).one()[1]
            out.write(f"\nDROP TABLE IF EXISTS `{table}`;\n{create};\n")
            result = conn.execute(text(f"SELECT * FROM `{table}`"))
            names = list(result.keys())
            cols = ", ".join(f"`{c}`" for c in names)
            for row in result:
                out.write(f"INSERT INTO `{table}` ({cols}) VALUES ({', '.join(escape(v) for v in row)});\n")
        conn.execute(text("COMMIT"))
        out.write("SET FOREIGN_KEY_CHECKS = 1;\n")


def apply_adoption(engine: Engine, plan: AdoptPlan, *, backup_dir: Path, dump_client: str | None = None,
                   run: Runner = subprocess.run, step_pause: float = 0.0,
                   on_step: Callable[[Step, str], None] | None = None) -> ApplyResult:
    """Back up (first run only), then run every step not yet in place, journaled. Resumable.

    ``on_step(step, "ran" | "already")`` is told after each step; ``step_pause`` waits after each one
    (to watch, or to be killed in a test).
    """
    from sqlalchemy import text

    from .migrate import db_errors, describe_url

    with db_errors(engine, "adopting"):
        with engine.begin() as conn:
            conn.execute(text(_JOURNAL_DDL))
        done = journal(engine)
        resumed = bool(done)
        if "backup" in done and done["backup"]["status"] == "done":
            backup, method = str(done["backup"]["detail"]).split("\t", 1)
        else:
            path, method = backup_database(engine, backup_dir, client=dump_client, run=run)
            backup = str(path)
            _record(engine, "backup", "backup", "done", detail=f"{backup}\t{method}")
        result = ApplyResult(database=describe_url(engine), backup=backup, backup_method=method, resumed=resumed)
        for step in plan.steps:
            # Data steps run every time (their WHERE finds only rows still to fill): PHP keeps writing clear
            # tokens after adoption, and running `db adopt --apply` again hashes the new ones.
            if step.kind != "data" and done.get(step.id, {}).get("status") == "done":
                result.already.append(step.id)
                continue
            with engine.connect() as conn:
                in_place = _in_place(conn, step)
            if in_place:
                _record(engine, step.id, step.kind, "done", rows=0, detail="already in place")
                result.already.append(step.id)
                if on_step:
                    on_step(step, "already")
                continue
            _record(engine, step.id, step.kind, "running")
            try:
                rows = _run_step(engine, step)
            except DatabaseError:
                raise
            except Exception as exc:
                from sqlalchemy.exc import DBAPIError

                if isinstance(exc, DBAPIError):
                    first = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
                    raise DatabaseError(f"adoption step {step.id} failed on {describe_url(engine)}: {first}",
                                        hint="fix the cause and run `tinytalk db adopt --apply` again: "
                                             "steps already done are skipped") from None
                raise
            _record(engine, step.id, step.kind, "done", rows=rows)
            result.ran.append(step.id)
            if step.batched:
                result.rows[step.id] = rows
            if on_step:
                on_step(step, "ran")
            if step_pause:
                time.sleep(step_pause)
    return result
