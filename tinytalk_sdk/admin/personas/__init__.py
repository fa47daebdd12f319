"""AI personas and their prompt history: the admin module people touch most.

Modules: ``_model`` (types and checks), ``store`` (reads and guarded writes), ``history`` (versions, diff,
rollback), ``as_code`` (export / plan / apply of a folder of YAML files); they import one way, in that order.

Rules (docs/admin-operations.md):

- ``ai_personas.version`` is the *prompt* version. Every prompt change bumps it and writes one
  ``prompt_history`` row (version, old and new prompt, who, when, reason) in the same transaction.
  Changing only metadata (display name, model, …) keeps the version and writes no history row.
- Optimistic locking: every write is ``UPDATE … WHERE id = ? AND version = N`` with N the version the
  caller based the edit on (``expect_version``, else the version just read). When another admin got there
  first the statement matches no row, :class:`ConflictError` is raised and the transaction rolls back.
- A rollback writes a *new* version whose prompt equals the old one; history is never rewritten.
- Personas as code: :func:`export_personas` writes ``<name>.yaml`` per persona (the prompt as a YAML block
  scalar so git diffs read line by line); :func:`plan_apply` / :func:`apply_personas` bring the database to
  what a folder says, all in one transaction.
"""


from ._model import EDITABLE_FIELDS, Persona, PromptVersion, parse_version
from .as_code import (
    ApplyChange,
    ApplyPlan,
    PersonaFile,
    apply_personas,
    export_personas,
    load_persona_dir,
    persona_document,
    plan_apply,
)
from .history import diff_versions, persona_history, prompt_at, rollback_persona, unified_diff
from .store import archive_persona, create_persona, get_persona, list_personas, update_persona

__all__ = [
    "EDITABLE_FIELDS",
    "ApplyChange",
    "ApplyPlan",
    "Persona",
    "PersonaFile",
    "PromptVersion",
    "apply_personas",
    "archive_persona",
    "create_persona",
    "diff_versions",
    "export_personas",
    "get_persona",
    "list_personas",
    "load_persona_dir",
    "parse_version",
    "persona_document",
    "persona_history",
    "plan_apply",
    "prompt_at",
    "rollback_persona",
    "unified_diff",
    "update_persona",
]
