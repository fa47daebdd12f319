"""The public names of the admin SDK modules are pinned; the CLI modules stay light at import."""

from __future__ import annotations

import subprocess
import sys

from tinytalk_sdk import passwords
from tinytalk_sdk.admin import conversations, members, personas, storage


def test_public_names() -> None:
    assert set(personas.__all__) >= {
        "apply_personas", "archive_persona", "create_persona", "diff_versions", "export_personas",
        "get_persona", "list_personas", "persona_history", "plan_apply", "prompt_at", "rollback_persona",
        "update_persona",
    }
    assert set(members.__all__) >= {
        "MemberFilter", "create_member", "deactivate_member", "get_member", "iter_members", "list_members",
        "member_details", "reset_pin", "revoke_tokens",
    }
    assert set(conversations.__all__) >= {"export_jsonl", "get_transcript", "iter_messages", "list_sessions"}
    assert set(storage.__all__) >= {"clean_uploads", "storage_report", "uploads_dir"}
    assert set(passwords.__all__) >= {"hash_password", "verify_password"}
    for module in (personas, members, conversations, storage, passwords):
        for name in module.__all__:
            assert hasattr(module, name), (module.__name__, name)
    assert "pin_hash" not in {f for f in members.COLUMNS}


def test_command_modules_import_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "import tinytalk_cli.commands.personas, tinytalk_cli.commands.members\n"
        "import tinytalk_cli.commands.conversations, tinytalk_cli.commands.storage\n"
        "heavy = {'sqlalchemy', 'yaml', 'bcrypt', 'pydantic', 'httpx'} & set(sys.modules)\n"
        "print(sorted(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
