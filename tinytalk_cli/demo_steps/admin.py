"""Demo step `admin`: the admin panel's modules from a terminal.

``run`` calls one function per part, in order; an area adds its part as a function here and appends one
call at the end of ``run``. Each part is safe to repeat on the same database.
"""

from __future__ import annotations

from typing import Any

from . import DemoEnv

__all__ = ["run"]

DEMO_ACTOR = "demo"
DEMO_PERSONA = "demo_coach"
_BASE_PROMPT = """너는 초등학생을 위한 발음 코치 "Coach Mina"야.
You are Coach Mina, a pronunciation coach for primary-school children.

- 한 번에 한 단어만 연습해요. Practise one word at a time.
- 틀려도 괜찮아요! Mistakes are fine: praise the try, then model the word slowly.
"""
# The demo flips between two rules so every run makes one new version with a readable diff.
_RULES = (
    "- Use the student's name once per answer.\n",
    "- 학생 이름을 한 번만 불러 주세요. Say the student's name once, at the start.\n",
)


def _table(title: str, columns: list[str], rows: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table(title=title, header_style="bold")
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    return table


def _cell(value: Any) -> str:
    import datetime as dt

    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return str(value)


def _personas(env: DemoEnv) -> None:
    """A persona edit: a new version with its prompt_history row, the history, and the diff."""
    from rich.syntax import Syntax

    from tinytalk_sdk import NotFoundError
    from tinytalk_sdk.admin import personas

    engine = env.app.engine
    try:
        current = personas.get_persona(engine, DEMO_PERSONA)
    except NotFoundError:
        env.say(f"$ tinytalk personas create {DEMO_PERSONA} --prompt-file coach.txt")
        current = personas.create_persona(engine, name=DEMO_PERSONA, display_name="Coach Mina",
                                          system_prompt=_BASE_PROMPT + _RULES[0], actor=DEMO_ACTOR,
                                          reason="demo persona", temperature=0.5)
    rule = _RULES[1] if current.system_prompt.endswith(_RULES[0]) else _RULES[0]
    env.say(f"$ tinytalk personas edit {DEMO_PERSONA} --prompt-file new.txt --expect-version "
            f"{current.version} --reason 'demo: reword the name rule'")
    edited = personas.update_persona(engine, DEMO_PERSONA, actor=DEMO_ACTOR, system_prompt=_BASE_PROMPT + rule,
                                     expect_version=current.version, reason="demo: reword the name rule")
    env.say(f"  v{current.version} → v{edited.version}")

    env.say(f"$ tinytalk personas history {DEMO_PERSONA}")
    versions = personas.persona_history(engine, DEMO_PERSONA)
    env.show(_table(f"history of {DEMO_PERSONA} (last 3)", ["version", "created_at", "changed_by", "reason"],
                    [v.to_dict(prompts=False) for v in versions[-3:]]))
    env.say(f"$ tinytalk personas diff {DEMO_PERSONA} v{current.version} v{edited.version}")
    diff = personas.diff_versions(engine, DEMO_PERSONA, current.version, edited.version)
    env.show(Syntax(diff.rstrip("\n"), "diff", theme="ansi_dark", word_wrap=True))
    env.facts["persona"] = {"name": DEMO_PERSONA, "version": edited.version, "history_rows": len(versions)}


def _members(env: DemoEnv) -> None:
    """Members by school, read-only: the example data's students."""
    from tinytalk_sdk.admin import members

    engine = env.app.engine
    env.say("$ tinytalk members list --limit 5")
    rows = [m.to_dict() for m in members.list_members(engine, limit=5)]
    env.show(_table("members (first 5)", ["id", "email", "name", "school", "class_name", "is_active"], rows))
    env.facts["members_listed"] = len(rows)


def run(env: DemoEnv) -> None:
    from tinytalk_sdk.db.migrate import upgrade

    upgrade(env.app.engine)  # a no-op after the db step; makes `tinytalk demo --only admin` work alone
    _personas(env)
    _members(env)
    _assignments_and_usage(env)


# ---- assignments CSV and usage report (the characters/assignments/usage area) ---------------------------

_DEMO_SCHOOL, _DEMO_CLASS, _DEMO_CHARACTER = "한빛초등학교", "3-2", "demo_haru"
_DEMO_STUDENTS = [("demo.minsu@tinytalk.example", "김민수", "20260301"),
                  ("demo.seoyeon@tinytalk.example", "이서연", "20260302"),
                  ("demo.jiho@tinytalk.example", "박지호", "20260303")]


def _assignments_and_usage(env: DemoEnv) -> None:
    """An assignments import of a CP949 CSV (dry run, then apply), then a usage report with its price table."""
    import datetime as dt
    import io
    import tempfile
    from pathlib import Path

    from sqlalchemy import func, insert, select

    from tinytalk_sdk import NotFoundError
    from tinytalk_sdk.admin.assignments import import_assignments
    from tinytalk_sdk.admin.characters import EmotionMotion, create_character, get_character
    from tinytalk_sdk.admin.usage import usage_report
    from tinytalk_sdk.csvsafe import csv_writer
    from tinytalk_sdk.db.models import EMOTIONS, ApiUsageLog, User
    from tinytalk_sdk.db.session import transaction
    from tinytalk_sdk.providers.base import CallContext, UsageRecorder

    engine = env.app.engine
    try:
        get_character(engine, _DEMO_CHARACTER)
    except NotFoundError:
        env.say(f"$ tinytalk characters create {_DEMO_CHARACTER} --name 하루 -m idle=Idle:0 …")
        create_character(engine, code=_DEMO_CHARACTER, name="하루",
                         motions={e: EmotionMotion(motion_group=e.title()) for e in EMOTIONS})
    with transaction(engine) as session:
        known = set(session.scalars(select(User.email).where(User.email.in_([s[0] for s in _DEMO_STUDENTS]))))
        now = dt.datetime.now(dt.UTC)
        new = [{"email": e, "name": n, "student_no": no, "school": _DEMO_SCHOOL, "class_name": _DEMO_CLASS,
                "pin_hash": "!demo-no-login", "locale": "ko", "is_active": True, "created_at": now}
               for e, n, no in _DEMO_STUDENTS if e not in known]
        if new:
            session.execute(insert(User), new)
        user_ids = list(session.scalars(select(User.id).where(User.email.in_([s[0] for s in _DEMO_STUDENTS]))))

    folder = Path(tempfile.mkdtemp(prefix="tinytalk-demo-"))
    env.on_close(lambda: __import__("shutil").rmtree(folder, ignore_errors=True))
    path = folder / "3-2반_캐릭터배정.csv"
    buf = io.StringIO()
    writer = csv_writer(buf, lineterminator="\r\n")
    writer.writerow(["이메일", "이름", "학번", "학교", "반", "캐릭터"])
    for email, name, number in _DEMO_STUDENTS:
        writer.writerow([email, name, number, _DEMO_SCHOOL, _DEMO_CLASS, _DEMO_CHARACTER])
    path.write_bytes(buf.getvalue().encode("cp949"))  # what Excel saves in Korea

    columns = ["row", "email", "character", "school", "class"]
    env.say(f"$ tinytalk assignments import {path.name} --dry-run")
    plan = import_assignments(engine, path, dry_run=True, actor=DEMO_ACTOR)
    env.say(f"  encoding {plan.encoding} ({plan.encoding_source}), {plan.delimiter}-separated, {plan.rows} rows")
    env.show(_table("plan (dry run)", ["action", *columns],
                    [{"action": a, **i} for a, items in (("add", plan.added), ("change", plan.changed),
                                                         ("unchanged", plan.unchanged)) for i in items]))
    env.say(f"$ tinytalk assignments import {path.name} --yes")
    done = import_assignments(engine, path, actor=DEMO_ACTOR)
    c = done.counts
    env.say(f"  imported in one transaction: added {c['added']}, changed {c['changed']}, "
            f"unchanged {c['unchanged']}, removed {c['removed']}")

    with transaction(engine) as session:
        demo_rows = session.scalar(select(func.count()).select_from(ApiUsageLog).where(ApiUsageLog.tag == "demo"))
    if not demo_rows:  # a few priced calls, once: the recorder prices each from the price table
        recorder = UsageRecorder(engine)
        for i, uid in enumerate(user_ids):
            ctx = CallContext(user_id=uid, tag="demo")
            with recorder.call("openai", "stt", model="whisper-1", ctx=ctx) as e:
                e.audio_seconds = 12.5 + i
            with recorder.call("openai", "chat_stream", model="gpt-4o", ctx=ctx) as e:
                e.input_tokens, e.output_tokens = 850 + 10 * i, 120
            with recorder.call("elevenlabs", "tts", model="eleven_multilingual_v2", ctx=ctx) as e:
                e.characters = 140 + i
    env.say("$ tinytalk usage report --by service --from 30d")
    report = usage_report(engine, by="service", start=dt.datetime.now(dt.UTC) - dt.timedelta(days=30))
    env.show(_table(f"usage by service (price table {report.price_table})",
                    ["service", "calls", "errors", "input_tokens", "output_tokens", "characters", "audio_minutes",
                     "cost_usd"], report.rows))
    env.say(f"  total ${report.totals['cost_usd']:.4f}; missing costs priced with table {report.price_table} "
            f"({report.price_table_source})")
    env.facts["assignments"] = c
    env.facts["usage"] = {"calls": report.totals["calls"], "cost_usd": str(report.totals["cost_usd"]),
                          "price_table": report.price_table}
