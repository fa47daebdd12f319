"""Before a load run spends anything: the production guard and the vendor-spend bound from the price table."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING

from .._exceptions import AbortedError, CheckFailedError, ValidationError
from .plan import LoadPlan

if TYPE_CHECKING:
    from ..config import Config
    from ..pricing import PriceTable

__all__ = ["check_plan", "estimate_cost", "is_production", "require_load_extra"]

TURN_FLOOR = 1.0  # seconds a turn takes at the very least (added to the minimum think time for the bound)


def require_load_extra() -> None:
    """Locust, Jinja2 and matplotlib are the ``load`` extra: say so before anything starts (found, not imported)."""
    from importlib.util import find_spec

    from .._exceptions import ConfigError

    missing = [name for name in ("locust", "jinja2", "matplotlib") if find_spec(name) is None]
    if missing:
        raise ConfigError(f"qa load needs {', '.join(missing)} (the load extra is not installed)",
                          hint="pip install 'tinytalk[load]'")


def is_production(config: Config) -> bool:
    """The profile says ``production = true`` (config.toml or ``TINYTALK_PRODUCTION``)."""
    return (config.get("production") or "").strip().lower() in ("1", "true", "yes", "on")


def estimate_cost(plan: LoadPlan, table: PriceTable) -> Decimal:
    """An upper bound of the vendor spend, at the price table's rates, before anything is started.

    Turns: every pupil speaks at once, then again after at least the minimum think time plus a second, for
    as long as the run keeps it talking. Each turn is priced as the costliest utterance (STT + GPT + TTS for
    Live2D; STT + GPT for HeyGen). A HeyGen session is billed for every pupil-minute, at least its minimum.
    """
    from ..pipeline import avatar_for
    from ..qa.compare import a_priori_turn_cost, session_rate

    avatar = avatar_for(plan.avatar)
    pupils = max(plan.steps) if plan.steps else plan.pupils
    turns = pupils + math.ceil(plan.pupil_seconds() / (max(plan.think_min, 0.0) + TURN_FLOOR))
    if plan.turns and not plan.steps:
        turns = min(turns, pupils * plan.turns)
    per_turn = max((a_priori_turn_cost(avatar, text, table) for text in plan.utterances), default=Decimal(0))
    total = per_turn * turns
    if avatar.has_session:
        rate, minimum = session_rate(avatar, table)
        minutes = Decimal(str(round(plan.pupil_seconds() / 60, 4)))
        total += (minutes + minimum * pupils) * rate
    return total.quantize(Decimal("0.0001"))


def check_plan(plan: LoadPlan, config: Config, *, allow_production: bool, include_video: bool,
               max_cost: float | None, table: PriceTable) -> Decimal:
    """Refuse what must not start; return the spend bound (USD)."""
    from ..pipeline import avatar_for

    require_load_extra()
    if is_production(config) and not allow_production:
        raise AbortedError(f"profile '{config.profile}' is marked production: a load test would put a whole "
                           "class of test pupils on the live platform",
                           hint="pass --i-know-this-is-production to run it anyway")
    if plan.think_max < plan.think_min:
        raise ValidationError("--think-max must not be below --think-min")
    if not plan.utterances:
        raise ValidationError("--utterance: at least one utterance is needed")
    avatar = avatar_for(plan.avatar)
    if avatar.has_session and not include_video:
        raise ValidationError(f"--avatar {plan.avatar} opens a video session per pupil (billed by the minute)",
                              hint="add --include-video and a --max-cost")
    if avatar.has_session and max_cost is None:
        raise ValidationError(f"--avatar {plan.avatar} needs --max-cost (video sessions are billed by the minute)")
    bound = estimate_cost(plan, table)
    if max_cost is not None and bound > Decimal(str(max_cost)):
        raise CheckFailedError(f"--max-cost {max_cost}: this run could spend up to {bound} USD at the price "
                               f"table's rates ({plan.pupils if not plan.steps else max(plan.steps)} pupils)",
                               hint="fewer pupils, a shorter --duration, a longer --think-min or a larger --max-cost")
    return bound
