"""The toolkit's own tables (revision 0003): usage rollups and their watermark (docs/usage-and-costs.md)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Float, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import MYSQL_TABLE_ARGS, Base
from .types import BigId, UTCDateTime

__all__ = ["ApiUsageRollup", "ApiUsageRollupState"]


class ApiUsageRollup(Base):
    """Sums of ``api_usage_logs`` per period and dimensions (toolkit-owned; the PHP backend never reads it).

    Three grains (docs/usage-and-costs.md): ``hour`` and ``day`` rows have ``user_id`` 0 (no user dimension,
    so their count does not grow with pupils); ``uday`` rows carry the user, per day. NULLs are stored as
    ``''``/0 so the unique key works (NULLs never collide in a unique index).
    """

    __tablename__ = "api_usage_rollups"
    __table_args__ = (
        UniqueConstraint("grain", "period_start", "service", "operation", "model", "user_id", "status", "tag",
                         "price_table",
                         name="uq_api_usage_rollups_key"),  # the convention's name passes MySQL's 64 characters
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    grain: Mapped[str] = mapped_column(String(5), nullable=False)
    period_start: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    service: Mapped[str] = mapped_column(String(20), nullable=False)
    operation: Mapped[str] = mapped_column(String(40), nullable=False)
    model: Mapped[str] = mapped_column(String(100), nullable=False)
    user_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    tag: Mapped[str] = mapped_column(String(32), nullable=False)
    price_table: Mapped[str] = mapped_column(String(32), nullable=False)
    calls: Mapped[int] = mapped_column(BigInteger, nullable=False)
    input_tokens: Mapped[int] = mapped_column(BigInteger, nullable=False)
    output_tokens: Mapped[int] = mapped_column(BigInteger, nullable=False)
    characters: Mapped[int] = mapped_column(BigInteger, nullable=False)
    audio_seconds: Mapped[float] = mapped_column(Float, nullable=False)
    session_minutes: Mapped[float] = mapped_column(Float, nullable=False)
    cost_micros: Mapped[int] = mapped_column(BigInteger, nullable=False)
    costed_calls: Mapped[int] = mapped_column(BigInteger, nullable=False)
    stored_calls: Mapped[int] = mapped_column(BigInteger, nullable=False)
    latency_count: Mapped[int] = mapped_column(BigInteger, nullable=False)
    latency_sum_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    latency_hist: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class ApiUsageRollupState(Base):
    """One row (``id`` 1): the id watermark of the rollups and the price table that priced them."""

    __tablename__ = "api_usage_rollup_state"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    price_table: Mapped[str | None] = mapped_column(String(32))
    price_fingerprint: Mapped[str | None] = mapped_column(String(64))
    rows_rolled: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
