"""Admin operations over the database: the admin panel's modules as functions scripts can import.

One module per area (``personas``, ``members``, ``conversations``, ``storage``, …); import the module you
need, e.g. ``from tinytalk_sdk.admin import personas``. Nothing here connects at import time: every
function takes an ``Engine``; every write happens in one ``transaction(engine)``.
"""
