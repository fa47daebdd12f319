"""The data layer: models of the 12 tables, engines, transactions, migrations."""

from .session import make_engine, transaction

__all__ = ["make_engine", "transaction"]
