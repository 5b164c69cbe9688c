"""`Chat`: one practitioner talking to the `Turns`, the way a channel would.

    chat = Chat(engine, Identity("test:alice"))
    await chat.send("/gezin")        # a command (or plain text when it has no slash)
    await chat.press("New family")  # a button of the last reply, by label or by msgid
    await chat.text("Fam. K")
    chat.last.text, chat.outcome.notice, await chat.where()

`press` accepts the label as shown or the English msgid of the label, so tests read the
same whether the Dutch catalog is filled or not.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.engine.events import (
    Command,
    Event,
    Identity,
    Outcome,
    Press,
    Reply,
    ReplyButton,
    Text,
    Unsupported,
)
from bot.engine.render import fill
from bot.i18n import language_for
from bot.store.models import Conversation, Practitioner
from bot.turns import Turns


def parse(line: str) -> Event:
    """`/name arg` (also `/name@bot arg`) is a command; anything else is text."""
    if not line.startswith("/"):
        return Text(line)
    head, _, arg = line[1:].partition(" ")
    return Command(head.split("@", 1)[0].lower(), arg.strip())


@dataclass(frozen=True)
class Where:
    """The practitioner's committed position, read back from the database."""

    flow: str | None
    step: str | None
    seq: str
    """What the current step's buttons carry (`render.seq_of`): changes with every change."""
    language: str
    active_case_id: int | None


class Chat:
    def __init__(self, engine: Turns, who: Identity | str = "test:alice") -> None:
        self.engine = engine
        self.who = Identity(who) if isinstance(who, str) else who
        self.outcomes: list[Outcome] = []

    # --- sending -------------------------------------------------------------------------

    async def handle(self, event: Event) -> Outcome:
        outcome = await self.engine.handle(self.who, event)
        self.outcomes.append(outcome)
        return outcome

    async def send(self, line: str) -> Outcome:
        return await self.handle(parse(line))

    async def text(self, text: str) -> Outcome:
        return await self.handle(Text(text))

    async def command(self, name: str, arg: str = "") -> Outcome:
        return await self.handle(Command(name, arg))

    async def unsupported(self, kind: str) -> Outcome:
        return await self.handle(Unsupported(kind))

    async def press(self, label: str) -> Outcome:
        return await self.handle(Press(self.button(label).data))

    async def press_data(self, data: str) -> Outcome:
        return await self.handle(Press(data))

    # --- reading -------------------------------------------------------------------------

    @property
    def outcome(self) -> Outcome:
        if not self.outcomes:
            raise AssertionError("nothing was sent yet")
        return self.outcomes[-1]

    @property
    def last(self) -> Reply:
        return self.outcome.replies[-1]

    @property
    def language(self) -> str:
        """The language of the last answer (before any: what first contact would pick)."""
        if self.outcomes:
            return self.outcome.language
        return language_for(self.who.language_code, self.engine.settings.default_language)

    def t(self, msgid: str, **values: str) -> str:
        """`msgid` as the engine would show it now: translated, placeholders filled."""
        text = self.engine.catalogs.get(self.language).gettext(msgid)
        return fill(text, values) if values else text

    @property
    def buttons(self) -> list[ReplyButton]:
        return [button for row in self.last.buttons for button in row]

    @property
    def labels(self) -> list[str]:
        return [button.label for button in self.buttons]

    def button(self, label: str) -> ReplyButton:
        """The button of the last reply shown as `label`, or as the translation of it."""
        wanted = {label, self.t(label)}
        found = [button for button in self.buttons if button.label in wanted]
        if len(found) != 1:
            raise LookupError(
                f"{len(found)} buttons labelled {label!r} in the last reply; "
                f"available: {self.labels}"
            )
        return found[0]

    def has(self, msgid: str, **values: str) -> bool:
        """Whether the last reply contains `msgid`, translated and filled."""
        return self.t(msgid, **values) in self.last.text

    # --- the database, read in a new session ---------------------------------------------

    async def practitioner(self) -> Practitioner | None:
        async with self.engine.sessions() as session:
            query = select(Practitioner).where(Practitioner.external_key == self.who.key)
            return (await session.execute(query)).scalar_one_or_none()

    async def where(self) -> Where:
        """Where this practitioner is, as committed: a fresh session sees only that."""
        async with self.engine.sessions() as session:
            query = select(Practitioner).where(Practitioner.external_key == self.who.key)
            p = (await session.execute(query)).scalar_one_or_none()
            if p is None:
                raise AssertionError(f"no practitioner {self.who.key!r} in the database")
            conv = None
            if p.current_conversation_id is not None:
                conv = await session.get(Conversation, p.current_conversation_id)
            return Where(
                flow=conv.flow if conv else None,
                step=conv.step if conv else None,
                seq=f"{p.seq}.{conv.seq if conv else 0}",
                language=p.language,
                active_case_id=p.active_case_id,
            )
