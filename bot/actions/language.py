"""Language choice: Dutch (default) or English, remembered per practitioner."""

from __future__ import annotations

from bot.engine.options import Option
from bot.engine.registry import registry
from bot.engine.turn import Turn
from bot.i18n import LANGUAGES, N_

NAMES = {"nl": "Nederlands", "en": "English"}
CHANGED = N_("I will speak English with you from now on.")


@registry.provider("languages")
async def languages(turn: Turn) -> list[Option]:
    return [
        Option(code, ("✓ " if code == turn.language else "") + NAMES[code]) for code in LANGUAGES
    ]


@registry.action("set_language")
async def set_language(turn: Turn) -> None:
    code = turn.value if turn.value in LANGUAGES else turn.language
    turn.practitioner.language = code
    turn.use_language(code)
    turn.record("practitioner.language", "language", code)
    turn.flash.append(turn.t(CHANGED))
