"""`tinytalk personas`: AI personas, their prompt history, and personas as code (export / apply).

Thin: parse → ``tinytalk_sdk.admin.personas`` → render. Heavy imports stay inside the commands. The
sub-commands live next to this file along the SDK's split: ``store`` (list, show, create, edit, archive),
``history`` (history, diff, rollback) and ``as_code`` (export, apply); they are registered here, in the order
``--help`` lists them.
"""

from __future__ import annotations

import typer

from . import as_code, history, store

__all__ = ["app"]

app = typer.Typer(
    help="AI personas: system prompts with a full history, optimistic locking, and export/apply as YAML.\n\n"
    "Example: tinytalk personas edit tiny --reason 'shorter answers'",
    no_args_is_help=True,
)

for _name, _command in (
    ("list", store.list_),
    ("show", store.show),
    ("create", store.create),
    ("edit", store.edit),
    ("archive", store.archive),
    ("history", history.history),
    ("diff", history.diff),
    ("rollback", history.rollback),
    ("export", as_code.export),
    ("apply", as_code.apply),
):
    app.command(_name)(_command)
del _name, _command
