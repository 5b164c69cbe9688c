"""/hulp: the command list, made from the flows so it can never list a command that
does not exist."""

from __future__ import annotations

from bot.engine.registry import registry
from bot.engine.spec import cancel_in
from bot.engine.turn import Turn
from bot.i18n import N_

CANCEL_HELP = N_("stop the current step; nothing half-saved")


@registry.view("command_list")
async def command_list(turn: Turn) -> dict[str, str]:
    """In the practitioner's language: `/help` in English, `/hulp` in Dutch (both work)."""
    language = turn.practitioner.language
    lines = [
        f"/{flow.command_in(language)} – {turn.t(flow.description or flow.title)}"
        for flow in turn.flows
        if flow.command
    ]
    lines.append(f"/{cancel_in(language)} – {turn.t(CANCEL_HELP)}")
    return {"commands": "\n".join(lines)}
