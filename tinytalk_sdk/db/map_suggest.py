"""`db map suggest`: read a live database and propose, per model column, the live column that holds it.

It reasons from what the live database shows, never from a fixture: for each model column without a live
column of its own name it scores every live column no model column claims, and keeps the best one above a
threshold. Evidence, each written into the reason of the line:

- a known PHP name for the column (``pin`` for ``pin_hash``, ``setting_name`` for ``setting_key``, …);
- a name pattern (``last_login`` for ``last_login_at``, ``model_path`` for ``model_url``, ``is_loop`` for ``loop``);
- a similar spelling (difflib ratio);
- the same type family (integer, string, datetime, number); another family rules a column out;
- the same position among the table's columns; for the model's ``id``, the live primary key (``idx``);
- the table's prefix (``user_name`` in ``users``), a hash spelled out (``token_sha256`` for ``token_hash``);
- the values: ``$2y$`` bcrypt hashes for a ``*_hash`` PIN/password column.

A live column of the model's own name but of another type family (PHP's ``assigned_by INT`` holding an
admin id where the toolkit writes a name) is left to PHP: the toolkit gets an added ``tt_<name>`` column.
A clear-text token column where the toolkit keeps a sha256 hash becomes a derived column, filled from
PHP's by a data step. Whatever is left is listed "to add".
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Column, Engine

__all__ = ["KNOWN_NAMES", "ColumnGuess", "MapSuggestion", "TableSuggestion", "suggest_map"]

# Names PHP backends commonly give the toolkit's columns (model column -> live names).
KNOWN_NAMES: dict[str, tuple[str, ...]] = {
    "pin_hash": ("pin", "pin_code", "pincode", "passcode", "password", "password_hash", "pin_password"),
    "password_hash": ("password", "passwd", "pass", "pw", "pwd", "admin_password"),
    "token_hash": ("token", "auth_token", "access_token", "api_token", "bearer_token"),
    "last_login_at": ("last_login", "last_login_time", "last_login_date", "last_seen", "login_at"),
    "last_used_at": ("last_used", "used_at", "last_seen", "last_access"),
    "created_at": ("created", "create_time", "created_on", "date_created", "reg_date", "regdate", "created_date",
                   "reg_dt", "created_dt", "insert_date", "wdate"),
    "updated_at": ("updated", "modified", "modified_at", "update_time", "updated_on", "last_modified", "upd_dt",
                   "mod_dt", "update_date"),
    "deleted_at": ("deleted", "deleted_on", "removed_at"),
    "is_active": ("active", "enabled", "is_enabled", "use_yn"),
    "setting_key": ("setting_name", "name", "key", "setting", "config_key", "option_name", "skey"),
    "setting_value": ("value", "setting_val", "config_value", "option_value", "svalue"),
    "system_prompt": ("prompt", "system_message", "instructions", "persona_prompt"),
    "display_name": ("title", "label", "display", "persona_title"),
    "code": ("slug", "character_code", "identifier", "char_code"),
    "school": ("school_name",),
    "class_name": ("class", "classroom", "class_no", "ban"),
    "student_no": ("student_number", "student_num", "student_code"),
    "device": ("device_name", "device_info", "user_agent", "platform"),
    "model_url": ("model_path", "model_file", "model_json", "model3_url"),
    "thumbnail_url": ("thumbnail", "thumb", "thumbnail_path", "image_url", "thumb_url"),
    "motion_url": ("motion_file", "motion_path"),
    "expression_url": ("expression_file", "expression_path"),
    "loop": ("is_loop", "loop_motion", "looping", "repeat"),
    "role": ("sender", "speaker", "author", "sender_type"),
    "content": ("message", "text", "body", "msg"),
    "response_mode": ("mode", "response_type", "output_mode", "reply_mode"),
    "operation": ("endpoint", "action", "api_name", "api_endpoint"),
    "input_tokens": ("tokens_in", "prompt_tokens", "input_token", "in_tokens"),
    "output_tokens": ("tokens_out", "completion_tokens", "output_token", "out_tokens"),
    "http_status": ("status_code", "http_code", "response_code"),
    "cost_usd": ("cost", "price", "cost_dollar", "amount_usd"),
    "heygen_avatar_id": ("avatar_id", "heygen_avatar"),
    "latency_ms": ("latency", "duration_ms", "response_ms", "elapsed_ms"),
    "audio_url": ("audio_path", "audio_file", "voice_url", "tts_url"),
    "reason": ("note", "memo", "comment", "change_note", "change_reason"),
    "changed_by": ("admin_name", "editor", "updated_by", "modified_by"),
    "session_date": ("date", "chat_date", "day"),
    "message_count": ("messages", "msg_count", "num_messages"),
    "username": ("user_name", "login", "login_id", "admin_id"),
    "email": ("email_address", "mail", "user_email"),
}
_SUFFIXES = ("_at", "_url", "_hash", "_id", "_no")
_THRESHOLD = 5
_BCRYPT = re.compile(r"^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$")


@dataclass(frozen=True)
class ColumnGuess:
    column: str  # the model column
    live: str  # the live column that holds it (or the added column)
    reasons: tuple[str, ...]
    kind: str = "map"  # map | derived | conflict
    source: str | None = None  # derived: the PHP column it is filled from

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"column": self.column, "live": self.live, "kind": self.kind,
                               "reason": "; ".join(self.reasons)}
        if self.source:
            out["from"] = self.source
        return out


@dataclass
class TableSuggestion:
    table: str
    present: bool
    mapped: list[ColumnGuess] = field(default_factory=list)
    same: list[str] = field(default_factory=list)  # model columns found under their own name
    to_add: list[dict[str, str]] = field(default_factory=list)
    php_only: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "present": self.present, "map": [g.to_dict() for g in self.mapped],
                "same_name": self.same, "to_add": self.to_add, "php_only": self.php_only}


@dataclass
class MapSuggestion:
    database: str
    tables: list[TableSuggestion]
    extra_tables: list[str]

    def schema(self) -> dict[str, dict[str, Any]]:
        """The ``[schema]`` table to put in the profile."""
        out: dict[str, dict[str, Any]] = {}
        for t in self.tables:
            entry: dict[str, Any] = {}
            for g in t.mapped:
                entry[g.column] = ({"from": g.source, "transform": "sha256"} if g.kind == "derived"
                                   else g.live)
            if t.present:
                out[t.table] = entry
        return out

    def to_toml(self, profile: str) -> str:
        lines = [f"# tinytalk db map suggest — {self.database}",
                 f"# Paste into config.toml (or run `tinytalk --profile {profile} db map suggest --write`).", ""]
        for t in self.tables:
            if not t.present:
                lines += [f"# {t.table}: missing table — `db adopt` creates it", ""]
                continue
            lines.append(f"[profiles.{profile}.schema.{t.table}]")
            for g in t.mapped:
                value = (f'{{ from = "{g.source}", transform = "sha256" }}' if g.kind == "derived"
                         else f'"{g.live}"')
                lines.append(f"{g.column} = {value}  # {'; '.join(g.reasons)}")
            for add in t.to_add:
                lines.append(f"# to add: {add['column']} {add['type']} ({add['reason']})")
            if t.php_only:
                lines.append(f"# PHP only, left alone: {', '.join(t.php_only)}")
            lines.append("")
        if self.extra_tables:
            lines.append(f"# PHP-only tables, left alone: {', '.join(self.extra_tables)}")
        return "\n".join(lines).rstrip() + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {"database": self.database, "schema": self.schema(),
                "tables": [t.to_dict() for t in self.tables], "extra_tables": self.extra_tables}


def _snake(name: str) -> str:
    """``lastLoginAt`` → ``last_login_at``: PHP code written in camelCase names its columns so too."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _stem(name: str) -> str:
    name = _snake(name).removeprefix("is_")
    for suffix in _SUFFIXES:
        name = name.removesuffix(suffix)
    return name


def _score(col: Column[Any], live: dict[str, Any], model_pos: float, live_pos: float,
           want_family: str, have_family: str, samples: list[str], *, table: str,
           live_pk: tuple[str, ...]) -> tuple[int, list[str]]:
    score, why = 0, []
    name, other = col.name, _snake(str(live["name"]))
    singular = table.removesuffix("s")
    if col.primary_key and live_pk == (other,):
        score += 6
        why.append("the live primary key")
    elif other.lower() in KNOWN_NAMES.get(name, ()):
        score += 6
        why.append(f"known PHP name for {name}")
    elif other == name:
        score += 6
        why.append(f"the same name spelled {live['name']}")
    elif _stem(name) == _stem(other) or other.lower() in (_stem(name) + s for s in ("_path", "_file", "_time")):
        score += 4
        why.append(f"same name stem ({_stem(name)})")
    elif other.lower() == f"{singular}_{name}":
        score += 4
        why.append(f"the table's prefix before {name}")
    elif name.endswith("_hash") and other.lower().startswith(_stem(name)) and any(
            w in other.lower() for w in ("sha", "hash", "digest")):
        score += 4
        why.append(f"named as a hash of {_stem(name)}")
    else:
        ratio = difflib.SequenceMatcher(None, name.lower(), other.lower()).ratio()
        if ratio >= 0.75:
            score += 3
            why.append(f"similar name ({ratio:.2f})")
    score += 2
    why.append(f"same type family ({have_family})")
    if abs(model_pos - live_pos) <= 0.15:
        score += 1
        why.append("same position")
    if name.endswith("_hash") and name != "token_hash" and samples:
        if all(_BCRYPT.match(v) for v in samples):
            score += 3
            why.append(f"values are {samples[0][:4]} bcrypt hashes")
        else:
            score -= 6
            why.append("values are not bcrypt hashes")
    return score, why


def _is_clear_token(live_name: str) -> bool:
    """PHP's token column holds the token itself unless its name says it is a hash.

    The values cannot tell: ``bin2hex(random_bytes(32))`` and a sha256 hex digest look alike.
    """
    return not any(word in live_name.lower() for word in ("hash", "sha", "digest"))


def _samples(conn: Any, table: str, column: str) -> list[str]:
    from sqlalchemy import text

    q = conn.dialect.identifier_preparer.quote
    rows = conn.execute(text(f"SELECT {q(column)} FROM {q(table)} WHERE {q(column)} IS NOT NULL LIMIT 20"))
    return [str(r[0]) for r in rows]


def _suggest_table(table: Any, conn: Any, inspector: Any) -> TableSuggestion:
    from .drift import _spell, normalize_type
    from .tolerance import family

    dialect = conn.dialect
    out = TableSuggestion(table=table.name, present=True)
    live_cols = inspector.get_columns(table.name)
    by_name = {c["name"]: c for c in live_cols}
    model_cols = list(table.columns)

    def fam(type_: Any) -> str:
        return family(normalize_type(_spell(type_, dialect)))

    live_pk = tuple(inspector.get_pk_constraint(table.name).get("constrained_columns") or ())
    claimed = {c.name for c in model_cols if c.name in by_name}
    unmatched = []
    for col in model_cols:
        got = by_name.get(col.name)
        if got is None:
            unmatched.append(col)
        elif fam(col.type) != fam(got["type"]):
            live_spelled = _spell(got["type"], dialect)
            reason = (f"live {col.name} is {live_spelled} (PHP's, {fam(got['type'])}); the toolkit writes "
                      f"{fam(col.type)}: added as tt_{col.name}")
            out.mapped.append(ColumnGuess(col.name, f"tt_{col.name}", (reason,), kind="conflict"))
            out.to_add.append({"column": f"tt_{col.name}", "type": _spell(col.type, dialect), "reason": reason})
        else:
            out.same.append(col.name)
    free = [c for c in live_cols if c["name"] not in claimed]
    if "token_hash" in out.same:
        # Adopted before: token_hash is the added column, still filled from PHP's clear token column.
        clear = next((c["name"] for c in free if c["name"].lower() in KNOWN_NAMES["token_hash"]
                      and _is_clear_token(c["name"])), None)
        if clear:
            out.same.remove("token_hash")
            out.mapped.append(ColumnGuess("token_hash", "token_hash", (
                f"added by an earlier adoption; {clear} still holds PHP's clear tokens, hashed into it by the "
                "data step",), kind="derived", source=clear))
            free = [c for c in free if c["name"] != clear]
    positions = {c["name"]: i / max(len(live_cols) - 1, 1) for i, c in enumerate(live_cols)}
    candidates: list[tuple[int, str, str, list[str]]] = []
    sample_cache: dict[str, list[str]] = {}
    for col in unmatched:
        model_pos = model_cols.index(col) / max(len(model_cols) - 1, 1)
        for live in free:
            want_f, have_f = fam(col.type), fam(live["type"])
            if want_f != have_f:
                continue
            samples: list[str] = []
            if have_f == "string" and col.name.endswith("_hash"):
                samples = sample_cache.setdefault(live["name"], _samples(conn, table.name, live["name"]))
            score, why = _score(col, live, model_pos, positions[live["name"]], want_f, have_f, samples,
                                table=table.name, live_pk=live_pk)
            if score >= _THRESHOLD:
                candidates.append((score, col.name, live["name"], why))
    taken_model: set[str] = set()
    taken_live: set[str] = set()
    for _score_value, model_name, live_name, why in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        if model_name in taken_model or live_name in taken_live:
            continue
        taken_model.add(model_name)
        taken_live.add(live_name)
        if model_name == "token_hash" and _is_clear_token(live_name):
            why = [*why, f"{live_name} holds clear tokens; the toolkit keeps sha256 hex: added token_hash, "
                   f"filled from {live_name} by a batched data step (PHP keeps its column)"]
            out.mapped.append(ColumnGuess(model_name, model_name, tuple(why), kind="derived", source=live_name))
            continue
        out.mapped.append(ColumnGuess(model_name, live_name, tuple(why)))
    for col in unmatched:
        if col.name in taken_model:
            continue
        reason = "no live column holds it"
        if col.name == "is_active" and "deleted_at" in by_name:
            reason = "PHP marks removal with deleted_at; added with default 1"
        elif col.name == "deleted_at" and "is_active" in by_name:
            reason = "PHP marks removal with is_active; the toolkit's deleted_at starts empty"
        elif col.name == "is_active" and "status" in by_name and "'active'" in str(by_name["status"]["type"]).lower():
            reason = ("PHP keeps activity in status (ENUM with 'active'): added with default 1, it does not follow "
                      "PHP's status; check deactivated members by hand")
        out.to_add.append({"column": col.name, "type": _spell(col.type, dialect), "reason": reason})
    mapped_live = {g.live for g in out.mapped} | set(out.same)
    out.php_only = [c["name"] for c in live_cols if c["name"] not in mapped_live]
    out.mapped.sort(key=lambda g: [c.name for c in model_cols].index(g.column))
    return out


def suggest_map(engine: Engine) -> MapSuggestion:
    """Propose a schema map for the database behind ``engine``. Read-only (reflection and a few samples)."""
    from sqlalchemy import inspect

    from .migrate import _metadata, db_errors, describe_url

    metadata = _metadata()
    tables: list[TableSuggestion] = []
    with db_errors(engine, "reading the schema"), engine.connect() as conn:
        inspector = inspect(conn)
        existing = set(inspector.get_table_names())
        for name in sorted(metadata.tables):
            if name not in existing:
                tables.append(TableSuggestion(table=name, present=False))
                continue
            tables.append(_suggest_table(metadata.tables[name], conn, inspector))
    extra = sorted(existing - set(metadata.tables) - {"alembic_version", "tinytalk_adoption_steps"})
    return MapSuggestion(database=describe_url(engine), tables=tables, extra_tables=extra)
