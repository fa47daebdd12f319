"""Test helpers shipped with the SDK: the vendor fakes (``fakes/``, one module per vendor; ``fake_vendors`` is
the facade under its first name) and real speech (``speech``).

`tinytalk smoke --target providers` and `tinytalk qa compare` use them for offline runs, so they live in the
package, not under ``tests/``. Nothing here is imported by ``tinytalk_sdk`` itself.
"""
