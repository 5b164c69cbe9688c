"""/hulp: the command list, made from the flows so it can never list a command that
does not exist."""

from __future__ import annotations

from bot.engine.registry import registry
from bot.engine.spec import cancel_in
from bot.engine.turn import Turn
from bot.i18n import N_

CANCEL_HELP = N_("Stop the current step; nothing half-saved")


@registry.view("command_list")
async def command_list(turn: Turn) -> dict[str, str]:
    """In the practitioner's language: `/help` in English, `/hulp` in Dutch (both work).
    `{commands}` and `{more_commands}`: the list in two halves of about the same length,
    one page each, so no message grows past what a phone shows at once."""
    language = turn.practitioner.language
    lines = [
        f"/{flow.command_in(language)} – {turn.t(flow.description or flow.title)}"
        for flow in turn.flows
        if flow.command
    ]
    lines.append(f"/{cancel_in(language)} – {turn.t(CANCEL_HELP)}")
    half, length, split = sum(len(line) for line in lines) / 2, 0, len(lines) // 2
    for index, line in enumerate(lines):
        length += len(line)
        if length > half:
            split = index
            break
    return {"commands": "\n".join(lines[:split]), "more_commands": "\n".join(lines[split:])}
