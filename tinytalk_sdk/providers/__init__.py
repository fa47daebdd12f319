"""Providers behind the conversation pipeline: speech-to-text, chat, text-to-speech, video avatar.

``base`` holds the interfaces and the one place that writes ``api_usage_logs``; ``offline`` the
deterministic local providers; the OpenAI / ElevenLabs / HeyGen v1 / LiveAvatar adapters live beside them.
"""
