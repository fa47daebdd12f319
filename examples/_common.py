"""Shared by the examples: where the API is, and who logs in (environment variables)."""

from __future__ import annotations

import os

API_URL = os.environ.get("TINYTALK_API_URL", "http://127.0.0.1:8787/api")
EMAIL = os.environ.get("TINYTALK_EMAIL", "demo@example.com")
PIN = os.environ.get("TINYTALK_PIN", "1234")
