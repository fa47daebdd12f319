"""Demo step `live2d`: generate the example model, validate it, publish it twice, register it, read it back.

1. ``live2d_tools.generate`` writes a valid model into ``<data dir>/demo/live2d/hiyori``;
2. validate with the 7 emotions;
3. publish to the local CDN folder (the one ``tinytalk serve`` serves under /assets/live2d/), then publish again
   to show that an unchanged model uploads 0 bytes;
4. register ``ai_characters`` + 7 ``character_emotions``;
5. with the server step's ``api_url``: fetch ``get_character.php?code=hiyori`` and one published file.
"""

from __future__ import annotations

import shutil
import uuid
from typing import Any

from . import DemoEnv

__all__ = ["run"]


def run(env: DemoEnv) -> None:
    from live2d_tools.generate import generate_model
    from live2d_tools.validate import validate
    from tinytalk_sdk import CheckFailedError
    from tinytalk_sdk.cdn import open_backend, publish_live2d
    from tinytalk_sdk.characters_registry import DEFAULT_PUBLIC_URL, register_published_character
    from tinytalk_sdk.config import data_dir
    from tinytalk_sdk.server.paths import server_folders

    config = env.app.config
    folder = data_dir(config.env) / "demo" / "live2d"
    shutil.rmtree(folder, ignore_errors=True)
    model3 = generate_model(folder / "hiyori", name="Hiyori")
    env.say(f"generated the example model: {model3}")

    env.say(f"$ tinytalk live2d validate {model3.parent} --emotions")
    report = validate(model3.parent, emotions=True)
    summary = report.summary()
    env.say(f"moc3 version {report.model.moc_version}: {summary['error']} errors, {summary['warning']} warnings, "
            f"{len(report.model.emotions)}/7 emotions")
    if not report.ok:
        raise CheckFailedError(f"{model3}: the generated model does not validate ({report.errors[0].message})")

    cdn = server_folders(config)[1]
    url = "file://" + cdn.as_posix()
    backend = open_backend(url, config)
    try:
        env.say(f"$ tinytalk live2d publish {model3.parent} --to {url}")
        first = publish_live2d(backend, model3.parent, character="hiyori", require_emotions=True, verify=True)
        r1 = first.result
        env.say(f"version {r1.version}: uploaded {r1.uploaded_files} files, {r1.uploaded_bytes} bytes; pointer "
                f"{'swapped' if r1.pointer_changed else 'unchanged'}")
        env.say("$ tinytalk live2d publish … again (nothing changed)")
        again = publish_live2d(backend, model3.parent, character="hiyori", require_emotions=True, verify=True)
        r2 = again.result
        env.say(f"version {r2.version}: uploaded {r2.uploaded_bytes} bytes ({r2.kept_files} files unchanged)")
    finally:
        backend.close()

    api_url = env.facts.get("api_url")
    # With the local server running, site-relative URLs: the server makes them absolute on its own port.
    base = config.get("cdn_public_url") or ("/assets/live2d/" if api_url else DEFAULT_PUBLIC_URL)
    character_id = register_published_character(env.app.engine, r2.manifest, base)
    env.say(f"registered character 'hiyori' (id {character_id}) with 7 emotions under {base}")
    facts: dict[str, Any] = {
        "character": "hiyori",
        "character_id": character_id,
        "version": r2.version,
        "cdn": url,
        "uploaded_bytes": r1.uploaded_bytes,
        "republish_uploaded_bytes": r2.uploaded_bytes,
    }
    env.facts["live2d"] = facts
    if not api_url:
        env.say("(no local API server in this run: skipping get_character.php)")
        return
    _show_from_api(env, str(api_url), facts)


def _show_from_api(env: DemoEnv, api_url: str, facts: dict[str, Any]) -> None:
    import httpx
    from rich.table import Table

    from tinytalk_sdk import CheckFailedError

    with httpx.Client(base_url=api_url, timeout=10) as http:
        token = env.facts.get("api_token")
        if not token:
            reg = http.post("/auth_register.php", json={
                "email": f"live2d-demo-{uuid.uuid4().hex[:8]}@example.com", "pin": "2468", "name": "Live2D demo"})
            if reg.status_code not in (200, 201):
                raise CheckFailedError(f"{api_url}/auth_register.php answered {reg.status_code}")
            token = reg.json()["data"]["token"]
        env.say("$ GET /get_character.php?code=hiyori")
        got = http.get("/get_character.php", params={"code": "hiyori"}, headers={"Authorization": f"Bearer {token}"})
        if got.status_code != 200:
            raise CheckFailedError(f"{api_url}/get_character.php answered {got.status_code}")
        character = got.json()["data"]["character"]
        table = Table(title=f"{character['name']} {character['model_version']} (from get_character.php)")
        for col in ("emotion", "motion", "expression", "loop"):
            table.add_column(col)
        marker = f"/v/{character['model_version']}/"
        for e in character["emotions"]:
            motion = (e["motion_url"] or "").split(marker, 1)[-1]  # the file inside the version folder
            table.add_row(e["emotion"], motion, e["expression"] or "", "yes" if e["loop"] else "no")
        env.show(table)
        model = http.get(character["model_url"])
        env.say(f"GET {character['model_url']} → {model.status_code} {model.headers.get('content-type', '')}")
        if model.status_code != 200:
            raise CheckFailedError(f"the local CDN does not serve {character['model_url']} ({model.status_code})")
        facts["api_emotions"] = len(character["emotions"])
        facts["model_url"] = character["model_url"]
