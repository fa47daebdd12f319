"""Pin the SDK's public names: removing or renaming one is a breaking change and must be deliberate."""

from __future__ import annotations

import tinytalk_sdk

EXPECTED = {
    "APIConnectionError", "APIError", "APINotFoundError", "APIResponseError", "APIStatusError",
    "APITimeoutError", "APIValidationError", "AbortedError", "AuthenticationError", "CheckFailedError",
    "ConfigError", "ConflictError", "DatabaseError", "MissingCredentialError", "NotFoundError",
    "ProviderError", "PublishError", "RateLimitError", "SchemaDriftError", "ServerError", "TinyTalkError",
    "ValidationError", "__version__", "mask", "redact",
}


def test_public_names_are_pinned() -> None:
    assert set(tinytalk_sdk.__all__) >= EXPECTED
    for name in tinytalk_sdk.__all__:
        assert hasattr(tinytalk_sdk, name), name


def test_every_error_derives_from_the_root_and_has_an_exit_code() -> None:
    codes = {}
    for name in tinytalk_sdk.__all__:
        obj = getattr(tinytalk_sdk, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, tinytalk_sdk.TinyTalkError), name
            codes[name] = obj.exit_code
    assert codes["TinyTalkError"] == 1
    assert codes["ValidationError"] == 4 and codes["NotFoundError"] == 5
    assert codes["SchemaDriftError"] == 8
    # exit code 2 belongs to usage errors (Typer), 0 to success
    assert not {0, 2} & set(codes.values())
