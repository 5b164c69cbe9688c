"""The engine's lines about buttons, said where there are none: on Matrix and in the
console they are numbered choices (`bot.channels.choices`).

The flows and the interpreter speak of buttons because Telegram has them. Elsewhere a line
such as "Kies een van de knoppen hieronder" would send the practitioner looking for
something that is not there, so those channels say these few lines in their own words, in
the practitioner's language; the conversation itself is unchanged.
"""

from __future__ import annotations

from bot.engine.messages import (
    STALE,
    STALE_NOTICE,
    UNKNOWN_BUTTON,
    UNKNOWN_COMMAND,
    UNSUPPORTED,
    USE_BUTTONS,
)
from bot.i18n import LANGUAGES, N_, Catalogs

NOT_ON_THE_MAP = "I can't find that name on the map. Choose someone with the buttons below."
"""Fase 3's line for a typed name that is not on the map (flows/fase3.yaml)."""

CHOICE_WORDS = {
    STALE: N_("That choice belongs to an earlier step. This is where you are now:"),
    STALE_NOTICE: N_("That choice belongs to an earlier step."),
    UNKNOWN_BUTTON: N_("That choice no longer works. Nothing was changed."),
    USE_BUTTONS: N_("Please answer with the number of one of the choices below."),
    UNSUPPORTED: N_("I can only read text, numbers and reactions, so I did not keep that."),
    UNKNOWN_COMMAND: N_(
        "I don't know that command. Send /hulp for the list, or answer with a number."
    ),
    NOT_ON_THE_MAP: N_("I can't find that name on the map. Choose someone by number below."),
}


class Wording:
    """Each button line as translated, with its Matrix line in the same language."""

    def __init__(self, catalogs: Catalogs) -> None:
        swaps = {
            catalogs.get(language).gettext(telegram): catalogs.get(language).gettext(matrix)
            for language in LANGUAGES
            for telegram, matrix in CHOICE_WORDS.items()
        }
        self.swaps = list(swaps.items())

    def __call__(self, text: str) -> str:
        for said, instead in self.swaps:
            if said in text:
                text = text.replace(said, instead)
        return text
