"""Demo step `server`: start the local API server in the background on the demo's database.

Later steps (``api``) talk to it through ``env.facts["api_url"]``; the server stops when the demo closes.
"""

from __future__ import annotations

from . import DemoEnv

__all__ = ["run"]


def run(env: DemoEnv) -> None:
    from tinytalk_sdk.server import start_background_server
    from tinytalk_sdk.server.paths import server_folders

    config = env.app.config
    uploads, cdn = server_folders(config)
    cdn.mkdir(parents=True, exist_ok=True)
    env.say("$ tinytalk serve --port 0   (in the background, offline providers)")
    server = start_background_server(config.database_url, uploads_dir=uploads, cdn_dir=cdn,
                                     cleanup_token=config.get("cleanup_token"))
    env.on_close(server.stop)
    env.facts["api_url"] = server.base_url
    import httpx

    health = httpx.get(server.base_url + "/health.php", timeout=10).json()["data"]
    providers = ", ".join(f"{slot}={name}" for slot, name in health["providers"].items())
    env.say(f"API server on {server.base_url}: database {health['database']}, providers {providers}")
