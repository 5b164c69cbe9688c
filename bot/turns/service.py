"""Apply one incoming event as one unit of work: access, dedup, transaction, interpreter.

The order is the promise the bot makes: the new step and everything recorded are committed
in one transaction before any reply leaves, so a crash at any moment either loses the
event (the messenger delivers it again) or keeps all of it. Channels call `Turns.handle`
and nothing else; the interpreter below (`bot.engine`) knows no session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.access import Access, NotAdmitted, startup_warning
from bot.config import Settings
from bot.engine.errors import Reject
from bot.engine.events import Event, Identity, Outcome, Reply
from bot.engine.interpreter import Interpreter
from bot.engine.registry import Registry
from bot.engine.render import Renderer
from bot.engine.signing import Signer
from bot.engine.spec import FlowSet
from bot.errors import NetwerkcoachError, StartupError
from bot.i18n import N_, Catalogs, language_for
from bot.store.db import store_unavailable
from bot.store.dedup import claim, serialise
from bot.store.models import Practitioner, utcnow
from bot.store.repo import Repo
from bot.store.turns import LastTurn, LastTurns
from bot.turns.languages import LastLanguages
from bot.turns.locks import KeyedLock

log = logging.getLogger(__name__)

CALLBACK_KEY = "callback_key"
"""The `meta` row of the secret that signs buttons, when BOT_CALLBACK_SECRET is not set."""
UNAVAILABLE = N_("I can't save your answer right now. Please try again in a moment.")


class Duplicate(NetwerkcoachError):  # noqa: N818 - a verdict, like Reject
    """The event's id was applied before: roll back, change nothing."""


async def _claim(
    session: AsyncSession, event_id: int | None, who: Identity
) -> tuple[int, int] | None:
    """The turn's first statement: it waits for the practitioner's turns in other
    processes, and claims the event's id if it has one (see `bot.store.dedup`). Returns
    the practitioner's row id and `version` (PostgreSQL), for `bot.store.turns`."""
    if event_id is None:
        return (await serialise(session, who.key)).stamp
    claimed = await claim(session, event_id, who.key)
    if not claimed.new:
        raise Duplicate
    return claimed.stamp


class Turns:
    """The one door for events: holds the database, the access gate, the caches and the
    interpreter. Between events it keeps only caches: each practitioner's last turn's rows
    (`last_turns`, checked before use) and the language they were last answered in."""

    def __init__(
        self,
        flows: FlowSet,
        registry: Registry,
        catalogs: Catalogs,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.flows = flows
        self.registry = registry
        self.catalogs = catalogs
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        """What "now" is for the actions (reminder times); tests move it instead of sleeping.
        The interpreter asks through `now`, so a new clock counts from the next turn."""
        self.access = Access(settings)
        """Who may get a practitioner row; asked only when there is none (`_practitioner`)."""
        self.locks = KeyedLock()
        self.last_turns = LastTurns()
        """What each practitioner's last turn left, for the next (`bot.store.turns`)."""
        self._languages = LastLanguages()
        self._interpreter: Interpreter | None = None

    async def start(self) -> None:
        """Load the installation's signing secret: BOT_CALLBACK_SECRET, or the one in the
        database (made on first start, sealed with BOT_DATA_KEY); then the interpreter."""
        secret = self.settings.callback_secret
        if secret is not None:
            key = secret.get_secret_value()
        else:
            async with self.sessions() as session, session.begin():
                key = await Repo(session).installation_secret(CALLBACK_KEY)
        self._interpreter = Interpreter(
            self.flows, self.registry, self.catalogs, Signer(key), self.settings, self.now
        )

    @property
    def interpreter(self) -> Interpreter:
        if self._interpreter is None:
            raise StartupError("Turns.start() was not awaited")
        return self._interpreter

    @property
    def renderer(self) -> Renderer:
        return self.interpreter.renderer

    def now(self) -> datetime:
        return self.clock()

    async def access_warning(self) -> str | None:
        """What an operator should hear at start-up about who can get in, if anything."""
        async with self.sessions() as session:
            return await startup_warning(Repo(session), self.settings)

    async def may_invite(self, who: Identity) -> bool:
        """Whether a messenger where people invite the bot into a chat (Matrix) should
        join `who`'s; read only, nothing about them is written."""
        async with self.sessions() as session:
            return await self.access.may_invite(Repo(session), who)

    def language_of(self, who: Identity) -> str:
        """The practitioner's language as last seen, for answers that cannot wait for the
        database (it may be the reason for the failure)."""
        known = self._languages.get(who.key)
        return known or language_for(who.language_code, self.settings.default_language)

    async def handle(self, who: Identity, event: Event, *, event_id: int | None = None) -> Outcome:
        """Apply `event`, commit, and return what to show. Events of one practitioner are
        applied one after another (in this process by a lock, across processes by the locks
        the claim of `event_id` takes, see `bot.store.dedup`, and else by the row lock on the
        practitioner). `event_id` is the channel's id of the event (Telegram's
        `update_id`): an event whose id was applied before changes nothing again and gets
        the current step shown (`Outcome.duplicate`)."""
        if self.access.silenced(who, event):
            return self._not_admitted(who, None)
        async with self.locks.hold(who.key):
            try:
                try:
                    outcome = await self._once(who, event, event_id)
                except Duplicate:
                    outcome = await self._again(who, event)
            except NotAdmitted as refused:
                return self._not_admitted(who, refused)  # rolled back: nothing was written
            except Exception as error:
                if not store_unavailable(error):
                    raise
                # Rolled back (or never begun): nothing half-written. The type only: a
                # database error quotes the statement's parameters, which are family data.
                log.warning("database unavailable, event not applied: %s", type(error).__name__)
                return self._unavailable(who)
            self._languages.remember(who.key, outcome.language)
            return outcome

    async def _once(self, who: Identity, event: Event, event_id: int | None) -> Outcome:
        """One transaction that claims `event_id` and applies the event, committed before
        the outcome is returned; after a `Reject`, one that claims it and only explains."""
        last: LastTurn | None = None
        generation = self.last_turns.generation
        try:
            async with self.sessions() as session, session.begin():
                stamp = await _claim(session, event_id, who)
                repo = Repo(session)
                before = self.last_turns.take(who.key, stamp)
                if before is not None:
                    repo.adopt(before)
                outcome = await self._apply(repo, who, event)
                if stamp is not None:
                    last = repo.left(stamp)
            if last is not None:  # committed
                self.last_turns.keep(who.key, last, generation)
            return outcome
        except Reject as rejected:
            # Everything of the turn was rolled back; show the step as it still is.
            async with self.sessions() as session, session.begin():
                await _claim(session, event_id, who)
                repo = Repo(session)
                p = await self._practitioner(repo, who, event)
                return await self.interpreter.refuse(repo, p, rejected, event)

    async def _apply(self, repo: Repo, who: Identity, event: Event) -> Outcome:
        p = await self._practitioner(repo, who, event)
        return await self.interpreter.apply(repo, p, event)

    async def _again(self, who: Identity, event: Event) -> Outcome:
        """The answer to an event applied before (a redelivery): the current step as it
        is, read without writing. Its first delivery may have died between the commit and
        the reply, so showing where they are is safer than silence."""
        async with self.sessions() as session:  # never committed: nothing is kept
            repo = Repo(session)
            p = await repo.practitioner(who.key, lock=False)
            if p is None:  # the event deleted them (/vergeet) or was refused
                return Outcome((), language=self.language_of(who), duplicate=True)
            return await self.interpreter.show(repo, p, event)

    async def _practitioner(self, repo: Repo, who: Identity, event: Event) -> Practitioner:
        """The practitioner of `who`; someone new only when the access gate lets them in
        (it raises `NotAdmitted` otherwise, before anything is written)."""
        found = await repo.practitioner_in_place(who.key)
        if found is not None:
            return found
        await self.access.admit(repo, who, event)
        language = language_for(who.language_code, self.settings.default_language)
        return await repo.add_practitioner(who.key, language, self.settings.timezone)

    def _unavailable(self, who: Identity) -> Outcome:
        """The "try again" answer, made without the database: in the language last seen and
        without buttons, so the practitioner repeats the same answer or button once it is back.

        Caveat: if the connection broke during COMMIT, the server may have committed it;
        the repeated answer then meets the next step, where it is checked like any input.
        """
        language = self.language_of(who)
        text = self.catalogs.get(language).gettext(UNAVAILABLE)
        return Outcome((Reply(text),), language=language, retry=True)

    def _not_admitted(self, who: Identity, refused: NotAdmitted | None) -> Outcome:
        """One polite refusal a minute, in the language their app reports; else silence."""
        language = language_for(who.language_code, self.settings.default_language)
        if refused is None or not self.access.may_answer(who):
            return Outcome((), language=language, refused=True)
        return Outcome(
            (Reply(self.catalogs.get(language).gettext(refused.msgid)),),
            language=language,
            refused=True,
        )
