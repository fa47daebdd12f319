"""Example data for the demo and for trying the toolkit: small, bilingual, idempotent.

:func:`load_example_data` adds, when absent (matched by natural key, never duplicated, never overwritten):

- 2 personas: ``tutor_kim`` (a long Korean + English system prompt, the default) and ``buddy_max``,
  each with its version-1 row in ``prompt_history``;
- 1 admin user ``admin`` (password ``demo-admin``, bcrypt) — demo credentials, documented;
- 3 students of 서울숲초등학교 class 5-2 with Korean names (PIN ``1234``, bcrypt);
- the default value of every known setting (``avatar_provider=replika``, …), and
  ``default_persona=tutor_kim``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = [
    "EXAMPLE_ADMIN",
    "EXAMPLE_PERSONAS",
    "EXAMPLE_SCHOOL",
    "EXAMPLE_STUDENTS",
    "ensure_database",
    "load_example_data",
]

SEED_ACTOR = "seed"
EXAMPLE_SCHOOL = ("서울숲초등학교", "5-2")
EXAMPLE_ADMIN = {"username": "admin", "email": "admin@example.com", "password": "demo-admin", "role": "owner"}
EXAMPLE_STUDENTS: list[dict[str, Any]] = [
    {"email": "minjun.kim@example.com", "name": "김민준", "nickname": "Minjun", "level": "A1",
     "birth_year": 2015, "student_no": "05-02-01"},
    {"email": "seoyeon.lee@example.com", "name": "이서연", "nickname": "Seoyeon 🌸", "level": "A2",
     "birth_year": 2015, "student_no": "05-02-02"},
    {"email": "jiho.park@example.com", "name": "박지호", "nickname": "Jiho", "level": "A1",
     "birth_year": 2014, "student_no": "05-02-03"},
]
EXAMPLE_PIN = "1234"

_TUTOR_PROMPT = """\
# Role / 역할
You are "Kim 선생님" (Teacher Kim), a warm English conversation tutor for Korean children aged 7–13.
당신은 한국 초등학생을 위한 따뜻하고 친절한 영어 회화 선생님 "김 선생님"입니다.

# How you speak / 말하는 방식
- Speak simple English: short sentences (max 12 words), everyday words, one idea at a time.
- 아이가 이해하지 못하면 한국어로 짧게 설명한 뒤, 같은 문장을 영어로 다시 말해 주세요.
- Ask exactly one question at the end of every answer, so the child always knows it is their turn.
- Never answer for the child. Wait. If they are silent, offer two choices: "Pizza or noodles?"
- Use the child's name often. Celebrate effort, not just correct answers: "Great try! 🎉"

# Correcting mistakes / 실수 고치기
- Recast, do not lecture: child says "I goed to park" → you say "Oh, you went to the park! What did you see?"
- 문법 설명은 아이가 물어볼 때만, 한두 문장으로 한국어로 해 주세요.
- At most one correction per turn; praise first, then the model sentence.

# Topics / 주제
Daily life (school, food, family, pets, weekend), feelings, simple stories, games like "I spy".
학교생활, 음식, 가족, 반려동물, 주말 이야기, 감정 표현, 짧은 이야기 만들기, 단어 게임.
Avoid: violence, scary content, politics, religion, personal data (address, phone, passwords).
개인정보(주소, 전화번호, 비밀번호)는 절대 묻지 말고, 아이가 말하면 부드럽게 다른 주제로 넘어가세요.

# Emotions for the character / 캐릭터 감정
Start each reply with one tag the app turns into a Live2D motion:
[idle] [listening] [thinking] [speaking] [praise] [review] [error]
Use [praise] after a good sentence, [review] when repeating a correction, [thinking] before a hard question.

# Session flow / 수업 흐름
1. Greet by name and ask about their day. (인사 + 오늘 하루 묻기)
2. Practise 3–5 target words from the lesson in real questions. (목표 단어 3–5개 연습)
3. Tell a tiny story together: you say one sentence, the child says the next. (함께 이야기 만들기)
4. End with a short review: "Today you learned …" and one sticker emoji ⭐. (오늘 배운 것 정리)
"""

_BUDDY_PROMPT = """\
You are Max, a playful robot buddy 🤖 who loves space, dinosaurs and jokes.
Talk like a friend, not a teacher: short, fun, curious. Ask the child to teach you words.
아이가 한국어로 말하면 "Can you say it in English? I'll help!" 라고 말하고 함께 영어 문장을 만들어 주세요.
Keep every reply under 3 sentences and always end with a question.
"""

EXAMPLE_PERSONAS: list[dict[str, Any]] = [
    {"name": "tutor_kim", "display_name": "Kim 선생님 (Teacher Kim)", "is_default": True,
     "description": "Warm bilingual tutor for daily lessons / 매일 수업용 친절한 이중언어 선생님",
     "system_prompt": _TUTOR_PROMPT, "temperature": 0.6},
    {"name": "buddy_max", "display_name": "Max the Robot 🤖", "is_default": False,
     "description": "Playful buddy for free talk / 자유 대화용 장난꾸러기 친구",
     "system_prompt": _BUDDY_PROMPT, "temperature": 0.9},
]


def ensure_database(engine: Engine) -> list[str]:
    """Bring the schema to head (Alembic). Returns the revisions applied (empty when up to date)."""
    from .migrate import upgrade

    return upgrade(engine)


def _hash(secret: str) -> str:
    import bcrypt

    # Cost 10: the demo hashes 4 secrets; PHP's password_verify() accepts any cost.
    return bcrypt.hashpw(secret.encode(), bcrypt.gensalt(rounds=10)).decode()


def load_example_data(engine: Engine) -> dict[str, int]:
    """Add the example rows that are missing (see the module docstring). Returns rows added per table.

    Idempotent: a second run adds nothing and changes nothing.
    """
    from sqlalchemy import select

    from ..settings import add_default_settings
    from .models import AdminUser, AiPersona, PromptHistory, User
    from .session import transaction

    added = {"ai_personas": 0, "prompt_history": 0, "admin_users": 0, "users": 0, "admin_settings": 0}
    with transaction(engine) as session:
        have = set(session.scalars(select(AiPersona.name)))
        for spec in EXAMPLE_PERSONAS:
            if spec["name"] in have:
                continue
            persona = AiPersona(version=1, **spec)
            session.add(persona)
            session.flush()
            session.add(PromptHistory(persona_id=persona.id, version=1, old_prompt=None,
                                      new_prompt=spec["system_prompt"], changed_by=SEED_ACTOR,
                                      reason="example data"))
            added["ai_personas"] += 1
            added["prompt_history"] += 1

        if session.scalars(select(AdminUser).where(AdminUser.username == EXAMPLE_ADMIN["username"])).first() is None:
            session.add(AdminUser(username=EXAMPLE_ADMIN["username"], email=EXAMPLE_ADMIN["email"],
                                  password_hash=_hash(EXAMPLE_ADMIN["password"]), role=EXAMPLE_ADMIN["role"]))
            added["admin_users"] += 1

        emails = set(session.scalars(select(User.email)))
        school, class_name = EXAMPLE_SCHOOL
        for student in EXAMPLE_STUDENTS:
            if student["email"] in emails:
                continue
            session.add(User(pin_hash=_hash(EXAMPLE_PIN), school=school, class_name=class_name, locale="ko",
                             **student))
            added["users"] += 1

        added["admin_settings"] = len(add_default_settings(
            session, actor=SEED_ACTOR, overrides={"default_persona": EXAMPLE_PERSONAS[0]["name"]}
        ))
    return added
