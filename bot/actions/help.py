"""/hulp: the command list, made from the flows so it can never list a command that
does not exist."""

from __future__ import annotations

from bot.engine.registry import registry
from bot.engine.turn import Turn
from bot.i18n import N_

CANCEL_HELP = N_("stop the current step; nothing half-saved")


@registry.view("command_list")
async def command_list(turn: Turn) -> dict[str, str]:
    lines = [
        f"/{flow.command} – {turn.t(flow.description or flow.title)}"
        for flow in turn.flows
        if flow.command
    ]
    lines.append(f"/annuleer – {turn.t(CANCEL_HELP)}")
    return {"commands": "\n".join(lines)}
