"""What a Matrix message means to the engine: a command, a choice, text, or unreadable.

Element treats a typed `/start` as its own command, so the bot's commands are typed as
`!start`, `!menu`, or as the command word alone (`menu`, `tips`, `hulp`); `/start` still
works when a client sends it as text. A number or the start of a label answers the
room's current question (`bot.channels.choices`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence

from bot.channels.choices import pick
from bot.engine.events import Command, Event, Press, ReplyButton, Text, Unsupported

COMMAND_PREFIXES = ("!", "/")

_KINDS = {
    "m.image": "photo",
    "m.video": "video",
    "m.audio": "audio",
    "m.file": "document",
    "m.location": "location",
}

EVENT_NUMBER_BASE = 1 << 62
"""Matrix event ids become numbers at and above 2**62 for the table of applied events:
Telegram's update ids stay far below, so the two channels never claim each other's."""


def event_number(event_id: str) -> int:
    """A Matrix event id (`$abc…`) as the 62-bit number the dedup table keeps: two events
    of one day share one with a chance of about one in 10**14 at a million events."""
    digest = hashlib.sha256(event_id.encode()).digest()
    return EVENT_NUMBER_BASE + (int.from_bytes(digest[:8], "big") >> 2)


def without_quote(body: str) -> str:
    """A reply's own text: clients that answer "in reply to" a message may put the quoted
    message first, each line starting with `> `, then an empty line (the reply fallback)."""
    if not body.startswith("> "):
        return body
    lines = body.split("\n")
    for index, line in enumerate(lines):
        if not line.startswith(">"):
            return "\n".join(lines[index:]).strip() if line == "" else body
    return body


def text_event(body: str, choices: Sequence[ReplyButton], commands: Collection[str]) -> Event:
    """A typed message, read in this order: a command (`!menu`, `/menu`, or `menu`
    alone), a choice of the current question, then text. A quoted message in front (a
    reply) is left out."""
    body = without_quote(body)
    text = body.strip()
    if text[:1] in COMMAND_PREFIXES and len(text) > 1:
        head, _, arg = text[1:].partition(" ")
        if head and head.isalpha():
            return Command(head.lower(), arg.strip())
    if text.casefold() in commands:
        return Command(text.casefold())
    chosen = pick(text, choices)
    if chosen is not None:
        return Press(chosen.data)
    return Text(body)


def unreadable(msgtype: str) -> Event:
    """An image, file, voice note, location, ...: the engine says it cannot read it."""
    return Unsupported(_KINDS.get(msgtype, "other"))
