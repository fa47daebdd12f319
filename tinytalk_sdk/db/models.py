"""The 12 tables of the TinyTalk database (PLATFORM.md), as the PHP backend uses them, and the toolkit's own
usage rollups (``api_usage_rollups``, ``api_usage_rollup_state``; revision 0003, docs/usage-and-costs.md).

Why each non-obvious column exists is written in ``docs/schema.md``; keep the two together.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import MYSQL_TABLE_ARGS, Base
from .types import BigId, LongText, UTCDateTime, utcnow

__all__ = [
    "EMOTIONS",
    "AdminSetting",
    "AdminUser",
    "AiCharacter",
    "AiPersona",
    "ApiUsageLog",
    "ApiUsageRollup",
    "ApiUsageRollupState",
    "AuthThrottle",
    "CharacterEmotion",
    "ChatMessage",
    "ChatSession",
    "IdempotencyKey",
    "PromptHistory",
    "StudentCharacterAssignment",
    "User",
    "UserAuthToken",
]

# The seven states every character needs, in the order the app cycles through them.
EMOTIONS: tuple[str, ...] = ("idle", "listening", "thinking", "speaking", "praise", "review", "error")

_EMOTION_CHECK = "emotion IN (" + ", ".join(f"'{e}'" for e in EMOTIONS) + ")"


def _created() -> Mapped[dt.datetime]:
    return mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        Index(None, "school", "class_name"),
        Index(None, "created_at"),
        Index(None, "last_login_at"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(191), unique=True, nullable=False)
    pin_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    nickname: Mapped[str | None] = mapped_column(String(50))
    level: Mapped[str | None] = mapped_column(String(20))
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)
    school: Mapped[str | None] = mapped_column(String(120))
    class_name: Mapped[str | None] = mapped_column(String(60))
    student_no: Mapped[str | None] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(10), default="ko", nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), onupdate=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    tokens: Mapped[list[UserAuthToken]] = relationship(back_populates="user", passive_deletes=True)


class UserAuthToken(Base):
    __tablename__ = "user_auth_tokens"
    __table_args__ = (Index(None, "user_id", "revoked_at"), Index(None, "expires_at"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    device: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = _created()
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="tokens")


class AiPersona(Base):
    __tablename__ = "ai_personas"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'archived')", name="status"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(120), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    system_prompt: Mapped[str] = mapped_column(LongText, nullable=False)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    model: Mapped[str] = mapped_column(String(64), default="gpt-4o", nullable=False)
    temperature: Mapped[float] = mapped_column(Float, default=0.7, nullable=False)
    heygen_avatar_id: Mapped[str | None] = mapped_column(String(120))
    voice_id: Mapped[str | None] = mapped_column(String(120))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="active", nullable=False)
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), onupdate=utcnow)
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class AiCharacter(Base):
    __tablename__ = "ai_characters"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    persona_id: Mapped[int | None] = mapped_column(ForeignKey("ai_personas.id", ondelete="SET NULL"))
    model_url: Mapped[str | None] = mapped_column(String(500))
    manifest_url: Mapped[str | None] = mapped_column(String(500))
    model_version: Mapped[str | None] = mapped_column(String(64))
    moc_version: Mapped[int | None] = mapped_column(SmallInteger)
    thumbnail_url: Mapped[str | None] = mapped_column(String(500))
    voice_id: Mapped[str | None] = mapped_column(String(120))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), onupdate=utcnow)

    emotions: Mapped[list[CharacterEmotion]] = relationship(
        back_populates="character", cascade="all, delete-orphan", passive_deletes=True
    )


class CharacterEmotion(Base):
    __tablename__ = "character_emotions"
    __table_args__ = (
        UniqueConstraint("character_id", "emotion"),
        CheckConstraint(_EMOTION_CHECK, name="emotion"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    character_id: Mapped[int] = mapped_column(
        ForeignKey("ai_characters.id", ondelete="CASCADE"), nullable=False
    )
    emotion: Mapped[str] = mapped_column(String(16), nullable=False)
    motion_group: Mapped[str | None] = mapped_column(String(64))
    motion_index: Mapped[int] = mapped_column(SmallInteger, default=0, nullable=False)
    motion_url: Mapped[str | None] = mapped_column(String(500))
    expression: Mapped[str | None] = mapped_column(String(64))
    expression_url: Mapped[str | None] = mapped_column(String(500))
    loop: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), onupdate=utcnow)

    character: Mapped[AiCharacter] = relationship(back_populates="emotions")


class StudentCharacterAssignment(Base):
    __tablename__ = "student_character_assignments"
    __table_args__ = (Index(None, "school", "class_name"), Index(None, "character_id"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("users.id", ondelete="CASCADE"),
        unique=True,
        nullable=False,
    )
    character_id: Mapped[int] = mapped_column(
        ForeignKey("ai_characters.id", ondelete="CASCADE"), nullable=False
    )
    school: Mapped[str | None] = mapped_column(String(120))
    class_name: Mapped[str | None] = mapped_column(String(60))
    assigned_by: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), onupdate=utcnow)


class ChatSession(Base):
    __tablename__ = "chat_sessions"
    __table_args__ = (
        Index(None, "user_id", "session_date"),
        Index(None, "user_id", "created_at"),
        Index(None, "created_at"),
        UniqueConstraint("user_id", "idempotency_key"),
        CheckConstraint("status IN ('active', 'saved', 'ended')", name="status"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
    )
    persona_id: Mapped[int | None] = mapped_column(ForeignKey("ai_personas.id", ondelete="SET NULL"))
    character_id: Mapped[int | None] = mapped_column(ForeignKey("ai_characters.id", ondelete="SET NULL"))
    title: Mapped[str | None] = mapped_column(String(200))
    session_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="active", nullable=False)
    avatar_provider: Mapped[str | None] = mapped_column(String(16))
    response_mode: Mapped[str] = mapped_column(String(16), default="audio", nullable=False)
    summary: Mapped[str | None] = mapped_column(LongText)
    message_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), onupdate=utcnow)
    saved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    messages: Mapped[list[ChatMessage]] = relationship(
        back_populates="session", cascade="all, delete-orphan", passive_deletes=True
    )


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (
        Index(None, "session_id", "id"),
        Index(None, "created_at"),
        CheckConstraint("role IN ('user', 'assistant', 'system')", name="role"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("chat_sessions.id", ondelete="CASCADE"),
        nullable=False,
    )
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    content: Mapped[str] = mapped_column(LongText, nullable=False)
    audio_url: Mapped[str | None] = mapped_column(String(500))
    audio_bytes: Mapped[int | None] = mapped_column(Integer)
    audio_seconds: Mapped[float | None] = mapped_column(Float)
    emotion: Mapped[str | None] = mapped_column(String(16))
    input_tokens: Mapped[int | None] = mapped_column(Integer)
    output_tokens: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = _created()

    session: Mapped[ChatSession] = relationship(back_populates="messages")


class ApiUsageLog(Base):
    __tablename__ = "api_usage_logs"
    __table_args__ = (
        Index(None, "created_at", "service"),
        Index(None, "service", "created_at"),
        Index(None, "user_id", "created_at"),
        Index(None, "session_id"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    service: Mapped[str] = mapped_column(String(20), nullable=False)
    operation: Mapped[str] = mapped_column(String(40), nullable=False)
    model: Mapped[str | None] = mapped_column(String(100))
    user_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    session_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    input_tokens: Mapped[int | None] = mapped_column(Integer)
    output_tokens: Mapped[int | None] = mapped_column(Integer)
    characters: Mapped[int | None] = mapped_column(Integer)
    audio_seconds: Mapped[float | None] = mapped_column(Float)
    session_minutes: Mapped[float | None] = mapped_column(Float)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    ttfb_ms: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="ok", nullable=False)
    http_status: Mapped[int | None] = mapped_column(SmallInteger)
    error_code: Mapped[str | None] = mapped_column(String(64))
    cost_usd: Mapped[Decimal | None] = mapped_column(Numeric(12, 6))
    price_table: Mapped[str | None] = mapped_column(String(32))
    request_id: Mapped[str | None] = mapped_column(String(100))
    tag: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = _created()


class AdminUser(Base):
    __tablename__ = "admin_users"
    __table_args__ = (CheckConstraint("role IN ('owner', 'admin', 'editor', 'viewer')", name="role"),
                      MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    email: Mapped[str | None] = mapped_column(String(191))
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(16), default="admin", nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    created_at: Mapped[dt.datetime] = _created()
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class AdminSetting(Base):
    __tablename__ = "admin_settings"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    setting_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    setting_value: Mapped[str | None] = mapped_column(Text)
    value_type: Mapped[str] = mapped_column(String(16), default="string", nullable=False)
    description: Mapped[str | None] = mapped_column(String(255))
    updated_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    history: Mapped[list[dict[str, str | None]] | None] = mapped_column(JSON)


class PromptHistory(Base):
    __tablename__ = "prompt_history"
    __table_args__ = (UniqueConstraint("persona_id", "version"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    persona_id: Mapped[int] = mapped_column(
        ForeignKey("ai_personas.id", ondelete="CASCADE"), nullable=False
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    old_prompt: Mapped[str | None] = mapped_column(LongText)
    new_prompt: Mapped[str] = mapped_column(LongText, nullable=False)
    changed_by: Mapped[str] = mapped_column(String(100), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = _created()


# The toolkit's own tables register on the same metadata, so importing this module keeps meaning "every
# table": the usage rollups (revision 0003) and the local server's bookkeeping (revision 0002).
from .rollup_models import ApiUsageRollup, ApiUsageRollupState  # noqa: E402
from .security_models import AuthThrottle, IdempotencyKey  # noqa: E402
