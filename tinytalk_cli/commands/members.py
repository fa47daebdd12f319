"""`tinytalk members`: app members — list, search, show, create, reset PIN, revoke tokens, deactivate, export.

PINs are read from a hidden prompt on a terminal, else from the first line of stdin; never from argv
(it would land in shell history and `ps`). No output ever contains a PIN hash.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from .._context import confirm, get_ctx, output_format
from .._options import ClassOpt, CsvOpt, DryRunOpt, JsonOpt, OutputOpt, SchoolOpt, YesOpt

if TYPE_CHECKING:
    from tinytalk_sdk.admin.members import MemberFilter

__all__ = ["app"]

app = typer.Typer(
    help="App members: list/search with filters, create, reset PIN, revoke tokens, deactivate, export.\n\n"
    "Example: tinytalk members list --school 서울초 --class 3-1 --csv",
    no_args_is_help=True,
)

IdentArg = Annotated[str, typer.Argument(help="Member id or email.")]
CreatedFromOpt = Annotated[
    str | None, typer.Option("--created-from", help="Created at or after (2025-03-01, or 30d for 30 days ago).")
]
CreatedToOpt = Annotated[str | None, typer.Option("--created-to", help="Created before (a date includes that day).")]
LoginFromOpt = Annotated[str | None, typer.Option("--login-from", help="Last login at or after.")]
LoginToOpt = Annotated[str | None, typer.Option("--login-to", help="Last login before.")]
ActiveOpt = Annotated[
    bool | None, typer.Option("--active/--inactive", help="Only active (or only deactivated) members.")
]
LimitOpt = Annotated[int | None, typer.Option("--limit", min=1, help="At most this many rows.")]

LIST_COLUMNS = ["id", "email", "name", "school", "class_name", "student_no", "is_active", "created_at",
                "last_login_at"]


def _filter(
    school: str | None = None, class_name: str | None = None, created_from: str | None = None,
    created_to: str | None = None, login_from: str | None = None, login_to: str | None = None,
    active: bool | None = None, query: str | None = None,
) -> MemberFilter:
    from tinytalk_sdk.admin.members import MemberFilter

    return MemberFilter(school=school, class_name=class_name, created_from=created_from, created_to=created_to,
                        login_from=login_from, login_to=login_to, active=active, query=query)


def _stdin_is_tty() -> bool:
    return sys.stdin.isatty()


def _read_pin(*, twice: bool) -> str:
    """A PIN from a hidden prompt (terminal) or the first line of stdin (scripts). Never echoed."""
    from tinytalk_sdk import ValidationError

    if _stdin_is_tty():
        value: str = typer.prompt("PIN", hide_input=True, confirmation_prompt=twice, err=True)
        return value.strip()
    line = sys.stdin.readline().strip()
    if not line:
        raise ValidationError("no PIN: type it at the prompt, or pipe it on stdin (printf '%s\\n' \"$PIN\" | …)")
    return line


@app.command("list")
def list_(
    ctx: typer.Context,
    school: SchoolOpt = None,
    class_name: ClassOpt = None,
    created_from: CreatedFromOpt = None,
    created_to: CreatedToOpt = None,
    login_from: LoginFromOpt = None,
    login_to: LoginToOpt = None,
    active: ActiveOpt = None,
    limit: LimitOpt = None,
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
) -> None:
    """List members, filtered by school, class, creation and last-login ranges.

    Example: tinytalk members list --school 서울초 --login-to 30d --json
    """
    from tinytalk_sdk.admin import members

    from .._output import print_rows

    flt = _filter(school, class_name, created_from, created_to, login_from, login_to, active)
    rows = [m.to_dict() for m in members.list_members(get_ctx(ctx).engine, flt, limit=limit)]
    print_rows(rows, LIST_COLUMNS, fmt=output_format(json_, csv_), title="Members")


@app.command("search")
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Part of an email, name, nickname or student number.")],
    school: SchoolOpt = None,
    class_name: ClassOpt = None,
    created_from: CreatedFromOpt = None,
    created_to: CreatedToOpt = None,
    login_from: LoginFromOpt = None,
    login_to: LoginToOpt = None,
    active: ActiveOpt = None,
    limit: LimitOpt = 100,
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
) -> None:
    """Find members by email, name, nickname or student number (case-insensitive substring).

    Example: tinytalk members search 민준 --school 서울초
    """
    from tinytalk_sdk import ValidationError
    from tinytalk_sdk.admin import members

    from .._output import print_rows

    if not query.strip():
        # `members search "$NAME"` with NAME unset would otherwise list every member
        raise ValidationError("search text is empty", hint="`tinytalk members list` lists everyone")
    flt = _filter(school, class_name, created_from, created_to, login_from, login_to, active, query)
    rows = [m.to_dict() for m in members.list_members(get_ctx(ctx).engine, flt, limit=limit)]
    print_rows(rows, LIST_COLUMNS, fmt=output_format(json_, csv_), title=f"Members matching {query!r}")


@app.command("show")
def show(ctx: typer.Context, ident: IdentArg, json_: JsonOpt = False) -> None:
    """Show a member with token, session and message counts.

    Example: tinytalk members show kim@school.kr
    """
    from tinytalk_sdk.admin import members

    from .._output import print_record

    details = members.member_details(get_ctx(ctx).engine, ident)
    print_record(details.to_dict(), fmt=output_format(json_))


@app.command("create")
def create(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="Login email.")],
    name: Annotated[str, typer.Option("--name", help="Real name (Korean is fine).")],
    nickname: Annotated[str | None, typer.Option("--nickname")] = None,
    school: SchoolOpt = None,
    class_name: ClassOpt = None,
    student_no: Annotated[str | None, typer.Option("--student-no", help="School student number (학번).")] = None,
    level: Annotated[str | None, typer.Option("--level", help="English level.")] = None,
    birth_year: Annotated[int | None, typer.Option("--birth-year")] = None,
    locale: Annotated[str, typer.Option("--locale")] = "ko",
    json_: JsonOpt = False,
) -> None:
    """Create a member; the PIN (4-8 digits) is asked hidden, or read from stdin.

    Example: printf '%s\\n' "$PIN" | tinytalk members create kim@school.kr --name 김민준 --school 서울초
    """
    from tinytalk_sdk.admin import members

    from .._output import info, print_record

    pin = _read_pin(twice=True)
    member = members.create_member(get_ctx(ctx).engine, email=email, pin=pin, name=name, nickname=nickname,
                                   school=school, class_name=class_name, student_no=student_no, level=level,
                                   birth_year=birth_year, locale=locale)
    if json_:
        print_record(member.to_dict(), fmt=output_format(json_))
    else:
        info(f"created member {member.id} <{member.email}>")


@app.command("reset-pin")
def reset_pin(
    ctx: typer.Context,
    ident: IdentArg,
    keep_tokens: Annotated[
        bool, typer.Option("--keep-tokens", help="Do not sign the member out of their devices.")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Set a new PIN (asked hidden, or read from stdin); signs the member out everywhere unless --keep-tokens.

    Example: printf '%s\\n' "$PIN" | tinytalk members reset-pin kim@school.kr
    """
    from tinytalk_sdk.admin import members

    from .._output import info, print_json

    pin = _read_pin(twice=True)
    member, revoked = members.reset_pin(get_ctx(ctx).engine, ident, pin, revoke=not keep_tokens)
    if json_:
        print_json({"id": member.id, "email": member.email, "tokens_revoked": revoked})
    else:
        info(f"PIN reset for {member.email}; {revoked} token(s) revoked")


@app.command("revoke-tokens")
def revoke_tokens(
    ctx: typer.Context,
    ident: IdentArg,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Sign a member out of every device (revoked_at on all their active tokens).

    Example: tinytalk members revoke-tokens kim@school.kr --yes
    """
    from tinytalk_sdk.admin import members

    from .._output import info, print_json

    engine = get_ctx(ctx).engine
    count = members.revoke_tokens(engine, ident, dry_run=True)
    if not dry_run and count:
        confirm(f"Revoke {count} token(s) of {ident}?", yes=yes)
        count = members.revoke_tokens(engine, ident)
    if json_:
        print_json({"member": ident, "tokens_revoked": count, "dry_run": dry_run})
    else:
        info(f"{'would revoke' if dry_run else 'revoked'} {count} token(s) of {ident}")


@app.command("unlock")
def unlock(ctx: typer.Context, ident: IdentArg, json_: JsonOpt = False) -> None:
    """Lift a login lockout: clear the member's failed-PIN counter (`members show` reports it).

    Example: tinytalk members unlock kim@school.kr
    """
    from tinytalk_sdk.admin import members

    from .._output import info, print_json

    member, cleared = members.unlock_member(get_ctx(ctx).engine, ident)
    if json_:
        print_json({"id": member.id, "email": member.email, "unlocked": cleared})
    else:
        info(f"unlocked {member.email}" if cleared else f"{member.email} had no failed logins to clear")


@app.command("deactivate")
def deactivate(
    ctx: typer.Context,
    ident: IdentArg,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Deactivate a member (can no longer log in) and revoke their tokens; data is kept.

    Example: tinytalk members deactivate 42 --dry-run
    """
    from tinytalk_sdk.admin import members

    from .._output import info, print_json

    engine = get_ctx(ctx).engine
    plan = members.deactivate_member(engine, ident, dry_run=True)
    result = plan
    if not dry_run and not (plan.already_inactive and plan.tokens_revoked == 0):
        confirm(f"Deactivate {plan.member.email} and revoke {plan.tokens_revoked} token(s)?", yes=yes)
        result = members.deactivate_member(engine, ident)
    if json_:
        print_json(result.to_dict())
    elif dry_run:
        info(f"would deactivate {plan.member.email} and revoke {plan.tokens_revoked} token(s) (dry run)")
    elif plan.already_inactive:
        info(f"{plan.member.email} was already inactive; {result.tokens_revoked} token(s) revoked")
    else:
        info(f"deactivated {result.member.email}; {result.tokens_revoked} token(s) revoked")


@app.command("export")
def export(
    ctx: typer.Context,
    school: SchoolOpt = None,
    class_name: ClassOpt = None,
    created_from: CreatedFromOpt = None,
    created_to: CreatedToOpt = None,
    login_from: LoginFromOpt = None,
    login_to: LoginToOpt = None,
    active: ActiveOpt = None,
    output: OutputOpt = None,
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
) -> None:
    """Export members as CSV (default) or a JSON array; never includes PIN hashes.

    Streams from the database, so a whole district exports in constant memory.

    Example: tinytalk members export --school 서울초 -o members.csv
    """
    from tinytalk_sdk.admin import members
    from tinytalk_sdk.csvsafe import csv_writer

    from .._files import open_output
    from .._output import cell_text, info, print_json_stream

    output_format(json_, csv_)  # rejects --json with --csv
    flt = _filter(school, class_name, created_from, created_to, login_from, login_to, active)
    columns = list(members.COLUMNS)
    count = 0
    rows = members.iter_members(get_ctx(ctx).engine, flt)  # a bad filter fails here, before any output
    with open_output(output) as out:
        if json_:
            count = print_json_stream((m.to_dict() for m in rows), out)
        else:
            writer = csv_writer(out)
            writer.writerow(columns)
            for member in rows:
                writer.writerow([cell_text(getattr(member, c)) for c in columns])
                count += 1
    info(f"exported {count} member(s)" + (f" to {output}" if output else ""))
