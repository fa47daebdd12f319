"""Log in to the TinyTalk API and show who we are.

    TINYTALK_API_URL=http://127.0.0.1:8787/api TINYTALK_EMAIL=kid@example.com TINYTALK_PIN=1234 \
        python examples/login.py
"""

from __future__ import annotations

from _common import API_URL, EMAIL, PIN

from tinytalk_sdk import TinyTalk

with TinyTalk(base_url=API_URL) as client:
    login = client.auth.login(email=EMAIL, pin=PIN)
    print(f"logged in; token expires {login.expires_at:%Y-%m-%d}")  # never print the token itself
    me = client.auth.me().user
    print(f"user #{me.id}: {me.name} <{me.email}>")
    print(f"avatar provider: {client.config.app().avatar_provider}")
