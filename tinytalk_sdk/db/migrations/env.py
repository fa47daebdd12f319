"""Alembic environment of the TinyTalk schema.

Run through :mod:`tinytalk_sdk.db.migrate`, which builds the Alembic config in code (no ``alembic.ini``)
and passes an open connection in ``config.attributes["connection"]``. Without one (offline ``sql=True``
mode, or a hand-made config) the URL comes from ``-x url=...`` or ``TINYTALK_DATABASE_URL``.
"""

from __future__ import annotations

import os

from alembic import context

from tinytalk_sdk.db.migrate import context_options

config = context.config


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get("TINYTALK_DATABASE_URL")
    url = url or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: pass -x url=... or set TINYTALK_DATABASE_URL")
    return url


def run_offline() -> None:
    from sqlalchemy.engine import make_url

    url = _url()
    context.configure(url=url, literal_binds=True, **context_options(make_url(url).get_backend_name()))
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **context_options(connection.dialect.name))
        with context.begin_transaction():
            context.run_migrations()
        return
    from tinytalk_sdk.db import make_engine

    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            context.configure(connection=conn, **context_options(conn.dialect.name))
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
