"""Demo step `db`: migrate the profile's database, load example data, show status, settings and an audit.

Safe to repeat on the same database: migrations and example rows are skipped when present, and the
avatar_provider round trip ends on the value it started from.
"""

from __future__ import annotations

from typing import Any

from . import DemoEnv

__all__ = ["run"]

DEMO_ACTOR = "demo"


def _table(title: str, columns: list[str], rows: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table(title=title, header_style="bold")
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    return table


def run(env: DemoEnv) -> None:
    from tinytalk_sdk.db.migrate import create_database_if_missing, status, upgrade
    from tinytalk_sdk.db.seed import load_example_data
    from tinytalk_sdk.settings import get_setting, list_settings, set_setting

    engine = env.app.engine
    created = create_database_if_missing(engine)
    applied = upgrade(engine)
    st = status(engine)
    env.say(f"database {st['database']} ({'created' if created else 'existing'}); "
            f"migrations applied: {', '.join(applied) or 'none, already at head'}")
    added = load_example_data(engine)
    env.say("example data added: " + (", ".join(f"{k} {v}" for k, v in added.items() if v) or "nothing new"))

    env.say("$ tinytalk db status")
    env.show(_table("db status", ["current", "head", "pending", "up_to_date"],
                    [{**st, "pending": ", ".join(st["pending"]) or "-"}]))

    env.say("$ tinytalk settings list")
    env.show(_table("admin_settings", ["key", "raw", "type", "updated_by"],
                    [v.to_dict() for v in list_settings(engine)]))

    start = get_setting(engine, "avatar_provider").raw or "replika"
    other = "heygen" if start != "heygen" else "replika"
    for value in (other, start):
        env.say(f"$ tinytalk settings set avatar_provider {value}")
        change = set_setting(engine, "avatar_provider", value, actor=DEMO_ACTOR)
        env.say(f"  {change.old} → {change.new} (by {change.by})")
    history = get_setting(engine, "avatar_provider").history
    env.say("$ tinytalk settings history avatar_provider")
    env.show(_table("history of avatar_provider (last 3)", ["at", "by", "old", "new"], history[-3:]))

    env.facts["db"] = {
        "database": st["database"],
        "backend": st["backend"],
        "revision": st["current"],
        "example_data_added": added,
        "avatar_provider": get_setting(engine, "avatar_provider").raw,
        "avatar_provider_history": len(history),
    }
