"""What a channel tells the engine: who did what. No Telegram types here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Identity:
    """The practitioner behind an event: a stable key per channel user, and the language
    their app reports (used only on first contact)."""

    key: str
    language_code: str | None = None


@dataclass(frozen=True)
class Command:
    """`/name arg` typed by the practitioner (name without slash, lower case)."""

    name: str
    arg: str = ""


@dataclass(frozen=True)
class Text:
    """Free text typed by the practitioner."""

    text: str


@dataclass(frozen=True)
class Press:
    """A button pressed; `data` is the signed callback data the engine made."""

    data: str


@dataclass(frozen=True)
class Unsupported:
    """Something the bot cannot read here: a photo, sticker, voice note, location, ..."""

    kind: str


Event = Command | Text | Press | Unsupported


@dataclass(frozen=True)
class ReplyButton:
    label: str
    data: str


@dataclass(frozen=True)
class Reply:
    """One message to show. `text` is HTML-lite (<b>, <i>) with every user value escaped;
    `tips` lists the ids of the parents' tips shown in it (internal, for tests and logs)."""

    text: str
    buttons: tuple[tuple[ReplyButton, ...], ...] = ()
    tips: tuple[str, ...] = ()


@dataclass(frozen=True)
class Attachment:
    """A file to send with the answer: a document (PDF, JSON) or a photo (PNG)."""

    kind: Literal["document", "photo"]
    filename: str
    content: bytes
    caption: str = ""


@dataclass(frozen=True)
class Outcome:
    """The engine's answer to one event, already committed to the database.

    `notice` is a short line for the button press itself (a Telegram callback answer);
    `replies` are the messages; `edit` says the first reply may replace the message whose
    button was pressed.
    """

    replies: tuple[Reply, ...]
    notice: str | None = None
    edit: bool = False
    language: str = "nl"
    attachments: tuple[Attachment, ...] = ()
    """Files made in this turn; channels send them before the replies."""
    retry: bool = False
    """Nothing was applied (the database was away): a channel whose events are delivered
    again when not acknowledged (Telegram webhooks) may leave it to that instead."""
    duplicate: bool = False
    """The event's id was applied before: nothing changed, the current step is shown."""
    refused: bool = False
    """The sender is not admitted (see `bot.access`): nothing about them was written."""
    erased: bool = False
    """Everything of the practitioner was deleted (/vergeet): a channel deletes what it
    keeps of them too (the console its exported files)."""
    stale: bool = False
    """A press of a button that is not current (a double tap, an older message) or not
    valid at all: nothing changed, and `notice` says so. A channel that answers the press
    itself (Telegram's callback answer) shows only that and leaves the chat as it is; the
    replies (the current step, with a line why) are for channels that cannot."""
