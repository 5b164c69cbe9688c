"""Apply one event of one practitioner: load, fire, commit, then answer.

The order is the promise the bot makes: the new step and everything recorded are committed
in one transaction before any reply leaves, so a crash at any moment either loses the
event (Telegram delivers it again) or keeps all of it.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from transitions.extensions.asyncio import AsyncMachine

from bot.access import Access
from bot.config import Settings
from bot.engine.errors import NetwerkcoachError, NotAdmitted, Reject
from bot.engine.events import (
    Attachment,
    Command,
    Event,
    Identity,
    Outcome,
    Press,
    Reply,
    Text,
    Unsupported,
)
from bot.engine.locks import KeyedLock
from bot.engine.machines import INPUT, OPTION, build_machine, button_trigger, fire
from bot.engine.registry import Registry
from bot.engine.render import Renderer, fill, seq_of
from bot.engine.signing import Signer
from bot.engine.spec import Flow, FlowSet, Step
from bot.engine.turn import Turn
from bot.i18n import N_, Catalogs, language_for, using
from bot.reminders import buttons as reminder_buttons
from bot.reminders.message import is_reminder_data, parse_reminder_data
from bot.store.db import store_unavailable
from bot.store.dedup import claim, serialise
from bot.store.models import Conversation, Practitioner, utcnow
from bot.store.repo import NO_SCOPE, Repo, case_scope
from bot.store.turns import LastTurn, LastTurns

log = logging.getLogger(__name__)

MENU, ONBOARDING, CASES = "menu", "onboarding", "cases"
START, CANCEL = "start", "annuleer"
SYSTEM_COMMANDS = {START, CANCEL, "cancel"}
CALLBACK_KEY = "callback_key"
"""The `meta` row of the secret that signs buttons, when BOT_CALLBACK_SECRET is not set."""

STALE = N_("That button belongs to an earlier step. This is where you are now:")
STALE_NOTICE = N_("That button belongs to an earlier step.")
UNKNOWN_BUTTON = N_("That button no longer works. Nothing was changed.")
UNKNOWN_COMMAND = N_("I don't know that command. Send /hulp for the list, or use the buttons.")
USE_BUTTONS = N_("Please choose one of the buttons below.")
UNSUPPORTED = N_("I can only read text and buttons, so I did not keep that.")
EDITED = N_("I don't read edited messages. Please send the corrected text as a new message.")
TOO_LONG = N_("That is too long: at most {max} characters. Please try a shorter text.")
TOO_SHORT = N_("Please type at least {min} characters.")
EMPTY = N_("I did not get any text. Please type an answer.")
INVALID = N_("That does not look right. Please try again.")
CANCELLED = N_("Stopped. Nothing of that step was saved.")
NEEDS_CASE = N_("This works per family. First choose or add a family.")
NOTHING_TO_CANCEL = N_("There was nothing to stop.")
UNAVAILABLE = N_("I can't save your answer right now. Please try again in a moment.")
WAITING = "waiting"
"""Status of a practitioner's flow left at a typing step for a command; entering it resumes."""

LANGUAGE_CACHE = 10_000

_EMOJI = r"[\u2600-\u27bf\ufe0f\U0001f000-\U0001faff]"
# Zero-width and direction-changing characters go, except the joiner inside an emoji
# sequence (👨‍👩‍👧 is one family, not three people).
_INVISIBLE = re.compile(
    rf"(?!(?<={_EMOJI})\u200d(?={_EMOJI}))[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)


def clean_text(text: str) -> str:
    """What we keep of typed text: no control or invisible characters, single spaces."""
    text = _INVISIBLE.sub("", text)
    text = "".join(ch for ch in text if ch in "\n" or unicodedata.category(ch) != "Cc")
    return " ".join(text.split())


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


def _bump(p: Practitioner, before: Conversation | None, now: Conversation) -> None:
    """After a change, the buttons shown so far are old. Within one conversation only its
    own counter moves: its row is written anyway, while writing the practitioner's row as
    well cost a statement per update (`make bench`). Moving to another conversation moves
    the practitioner's counter, which every conversation's buttons carry too."""
    if now is before:
        now.seq += 1
    else:
        p.seq += 1


def _current_seq(seq: str, p: Practitioner, conv: Conversation) -> bool:
    """Whether a pressed button's `seq` is that of the step shown now. A bare number is a
    button made before conversations had their own counter: current while neither moved."""
    if "." not in seq:
        return conv.seq == 0 and int(seq) == p.seq
    return seq == seq_of(p, conv)


def _unsupported(event: Unsupported) -> str:
    return EDITED if event.kind == "edited" else UNSUPPORTED


@dataclass
class _Result:
    """What a turn produced before rendering."""

    flash: list[str] = field(default_factory=list)
    tips: list[str] = field(default_factory=list)
    """Ids of the don't-tips a branch warned with (`warn:`), shown in the flash."""
    notice: str | None = None
    edit: bool = False
    changed: bool = False
    attachments: list[Attachment] = field(default_factory=list)
    erased: bool = False
    """An action deleted the practitioner (/vergeet everything): nothing more to show."""


class Engine:
    """Holds the flows and their machines; stateless per practitioner between events."""

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
        self.clock = clock
        """What "now" is for the actions (reminder times); tests move it instead of sleeping."""
        self.registry = registry
        self.catalogs = catalogs
        self.sessions = sessions
        self.settings = settings
        self.access = Access(settings)
        """Who may get a practitioner row; asked only when there is none (`_practitioner`)."""
        self.machines: dict[str, AsyncMachine] = {
            flow.id: build_machine(flow, registry) for flow in flows
        }
        self.locks = KeyedLock()
        self.last_turns = LastTurns()
        """What each practitioner's last turn left, for the next (`bot.store.turns`)."""
        self._renderer: Renderer | None = None
        self._languages: OrderedDict[str, str] = OrderedDict()

    async def start(self) -> None:
        """Load the installation's signing secret: BOT_CALLBACK_SECRET, or the one in the
        database (made on first start, sealed with BOT_DATA_KEY)."""
        secret = self.settings.callback_secret
        if secret is not None:
            key = secret.get_secret_value()
        else:
            async with self.sessions() as session, session.begin():
                key = await Repo(session).installation_secret(CALLBACK_KEY)
        self._renderer = Renderer(self.registry, Signer(key))

    @property
    def renderer(self) -> Renderer:
        if self._renderer is None:
            raise RuntimeError("Engine.start() was not awaited")
        return self._renderer

    def language_of(self, who: Identity) -> str:
        """The practitioner's language as last seen, for answers that cannot wait for the
        database (it may be the reason for the failure)."""
        known = self._languages.get(who.key)
        return known or language_for(who.language_code, self.settings.default_language)

    def _remember_language(self, key: str, language: str) -> None:
        self._languages[key] = language
        self._languages.move_to_end(key)
        if len(self._languages) > LANGUAGE_CACHE:
            self._languages.popitem(last=False)

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
            self._remember_language(who.key, outcome.language)
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
                return await self._refuse(Repo(session), who, rejected, event)

    async def _again(self, who: Identity, event: Event) -> Outcome:
        """The answer to an event applied before (a redelivery): the current step as it
        is, read without writing. Its first delivery may have died between the commit and
        the reply, so showing where they are is safer than silence."""
        async with self.sessions() as session:  # never committed: nothing is kept
            repo = Repo(session)
            p = await repo.practitioner(who.key, lock=False)
            if p is None:  # the event deleted them (/vergeet) or was refused
                return Outcome((), language=self.language_of(who), duplicate=True)
            language = p.language
            with using(self.catalogs.get(language)):
                conv = await self._current(repo, p)
                if conv is None:
                    return Outcome((), language=language, duplicate=True)
                turn = self._turn(repo, p, self.flows[conv.flow], conv)
                reply = await self._render(turn, [])
        edit = isinstance(event, Press)
        return Outcome((reply,), edit=edit, language=language, duplicate=True)

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
            return Outcome((), language=language)
        return Outcome(
            (Reply(self.catalogs.get(language).gettext(refused.msgid)),), language=language
        )

    # --- one turn ------------------------------------------------------------------------

    async def _practitioner(self, repo: Repo, who: Identity, event: Event) -> Practitioner:
        """The practitioner of `who`; someone new only when the access gate lets them in
        (it raises `NotAdmitted` otherwise, before anything is written)."""
        found = await repo.practitioner_in_place(who.key)
        if found is not None:
            return found
        await self.access.admit(repo, who, event)
        language = language_for(who.language_code, self.settings.default_language)
        return await repo.add_practitioner(who.key, language, self.settings.timezone)

    def _turn(self, repo: Repo, p: Practitioner, flow: Flow, conv: Conversation) -> Turn:
        return Turn(
            repo=repo,
            practitioner=p,
            translator=self.catalogs.get(p.language),
            catalogs=self.catalogs,
            flows=self.flows,
            settings=self.settings,
            flow=flow,
            conversation=conv,
            clock=self.clock,
        )

    async def _current(self, repo: Repo, p: Practitioner) -> Conversation | None:
        conv = await repo.conversation_by_id(p, p.current_conversation_id)
        if conv is not None and (
            conv.flow not in self.flows.flows or conv.step not in self.flows[conv.flow].steps
        ):
            # A flow changed under a paused conversation: start that practitioner afresh
            # at the menu rather than crash (aiogram-dialog does the same).
            await repo.delete_conversation(conv)
            return None
        return conv

    async def _apply(self, repo: Repo, who: Identity, event: Event) -> Outcome:
        p = await self._practitioner(repo, who, event)
        with using(self.catalogs.get(p.language)):
            conv = await self._current(repo, p)
            before = conv
            if isinstance(event, Press) and is_reminder_data(event.data):
                return await self._reminder_press(repo, p, event)
            result = _Result()
            turn: Turn | None = None
            if isinstance(event, Command):
                turn = await self._command(repo, p, conv, event, result)
            elif conv is None:
                if isinstance(event, Unsupported):
                    result.flash.append(self._t(p, _unsupported(event)))
                turn = await self._enter(repo, p, MENU, result)
            elif isinstance(event, Press):
                turn = await self._press(repo, p, conv, event, result)
            elif isinstance(event, Text):
                turn = await self._text(repo, p, conv, event, result)
            else:
                result.flash.append(self._t(p, _unsupported(event)))
                turn = self._turn(repo, p, self.flows[conv.flow], conv)
            if result.erased:
                await repo.delete_practitioner(p.id)
                farewell = Reply("\n\n".join(result.flash))
                return Outcome((farewell,), edit=result.edit, language=p.language)
            if result.changed:
                _bump(p, before, turn.conversation)
            reply = await self._render(turn, result.flash)
            if result.tips:
                reply = replace(reply, tips=(*result.tips, *reply.tips))
            return Outcome(
                (reply,),
                notice=result.notice,
                edit=result.edit and not result.attachments,
                language=p.language,
                attachments=tuple(result.attachments),
            )

    async def _refuse(self, repo: Repo, who: Identity, rejected: Reject, event: Event) -> Outcome:
        p = await self._practitioner(repo, who, event)
        with using(self.catalogs.get(p.language)):
            conv = await self._current(repo, p)
            result = _Result()
            if conv is None:
                turn = await self._enter(repo, p, MENU, result)
            else:
                turn = self._turn(repo, p, self.flows[conv.flow], conv)
            line = fill(turn.t(rejected.msgid), rejected.values)
            reply = await self._render(turn, [line])
            return Outcome((reply,), edit=isinstance(event, Press), language=p.language)

    def _t(self, p: Practitioner, msgid: str) -> str:
        return self.catalogs.get(p.language).gettext(msgid)

    async def _render(self, turn: Turn, flash: list[str]) -> Reply:
        step = turn.flow.step(turn.conversation.step)
        return await self.renderer.step(turn, turn.flow, step, flash=flash)

    # --- entering flows ------------------------------------------------------------------

    async def _enter(
        self,
        repo: Repo,
        p: Practitioner,
        flow_id: str,
        result: _Result,
        *,
        resume: bool | None = None,
    ) -> Turn:
        """Make `flow_id` the current flow. Case flows resume where they were paused
        (unless the flow says `resume: false`); other flows start at their first step."""
        flow = self.flows[flow_id]
        case_id: int | None = None
        scope = NO_SCOPE
        if flow.scope == "case":
            case = await repo.case(p, p.active_case_id)
            if case is None or case.status != "open":
                result.flash.append(self._t(p, NEEDS_CASE))
                return await self._enter(repo, p, CASES, result)
            case_id, scope = case.id, case_scope(case.id)
        if resume is None:
            resume = flow.scope == "case" and flow.resume
        conv = await repo.conversation(p, flow.id, scope)
        if conv is not None and conv.status == WAITING:
            conv.status, resume = "active", True  # left at a typing step: carry on there
        if conv is None:
            conv = await repo.add_conversation(p, flow.id, scope, flow.start, case_id)
        elif not resume or conv.status != "active" or conv.step not in flow.steps:
            conv.step, conv.status, conv.data, conv.trail = flow.start, "active", {}, {"steps": []}
        await self._leave_current(repo, p, keep=conv.id)
        p.current_conversation_id = conv.id
        result.changed = True
        turn = self._turn(repo, p, flow, conv)
        step = flow.step(conv.step)
        if step.is_end:  # a flow may consist of a message and a way on
            return await self._finish(turn, step, result)
        return turn

    async def _leave_current(self, repo: Repo, p: Practitioner, *, keep: int | None) -> None:
        """Leaving a flow for another: case flows wait (paused); so does a step that was
        waiting for typed text (a label, when /tips came in between); the rest is dropped."""
        current = await repo.conversation_by_id(p, p.current_conversation_id)
        if current is None or current.id == keep or current.case_id is not None:
            return
        flow = self.flows.flows.get(current.flow)
        step = flow.steps.get(current.step) if flow is not None else None
        if step is not None and step.input is not None and current.status == "active":
            current.status = WAITING
        else:
            await repo.delete_conversation(current)

    async def _finish(self, turn: Turn, step: Step, result: _Result) -> Turn:
        """An end step: run its actions, say its text above the next flow's first step."""
        if step.run:
            flashed, attached = len(turn.flash), len(turn.attachments)
            for name in step.run:
                await self.registry.actions[name](turn)
            result.flash.extend(turn.flash[flashed:])
            result.attachments.extend(turn.attachments[attached:])
        if step.say:
            values = await self.renderer.values(turn, step)
            result.flash.append(fill(turn.t(step.say), values))
        conv = turn.conversation
        if conv.case_id is not None:
            conv.status = "done"
            turn.record("flow.done")
        assert step.end is not None
        return await self._enter(turn.repo, turn.practitioner, step.end, result)

    # --- events --------------------------------------------------------------------------

    async def _command(
        self,
        repo: Repo,
        p: Practitioner,
        conv: Conversation | None,
        event: Command,
        result: _Result,
    ) -> Turn:
        if event.name == START:
            if conv is not None and conv.flow == ONBOARDING:
                return self._turn(repo, p, self.flows[ONBOARDING], conv)  # resume
            return await self._enter(repo, p, MENU if p.onboarded else ONBOARDING, result)
        if event.name in (CANCEL, "cancel"):
            if conv is None or conv.flow == MENU:
                result.flash.append(self._t(p, NOTHING_TO_CANCEL))
            else:
                if conv.case_id is not None:
                    # Drop the draft of this flow; what was recorded stays recorded.
                    conv.status = "cancelled"
                else:
                    await repo.delete_conversation(conv)
                p.current_conversation_id = None
                result.flash.append(self._t(p, CANCELLED))
            return await self._enter(repo, p, MENU, result)
        flow = self.flows.by_command(event.name)
        if flow is None:
            result.flash.append(self._t(p, UNKNOWN_COMMAND))
            if conv is None:
                return await self._enter(repo, p, MENU, result)
            return self._turn(repo, p, self.flows[conv.flow], conv)
        return await self._enter(repo, p, flow.id, result)

    async def _press(
        self, repo: Repo, p: Practitioner, conv: Conversation, event: Press, result: _Result
    ) -> Turn:
        flow = self.flows[conv.flow]
        turn = self._turn(repo, p, flow, conv)
        payload = self.renderer.signer.verify(p.external_key, event.data)
        seq, _, code = (payload or "").partition(":")
        if payload is None or not seq.replace(".", "", 1).isdigit():
            result.notice = self._t(p, UNKNOWN_BUTTON)
            result.flash.append(self._t(p, UNKNOWN_BUTTON))
            return turn
        if not _current_seq(seq, p, conv):
            result.notice = self._t(p, STALE_NOTICE)
            result.flash.append(self._t(p, STALE))
            return turn
        result.edit = True
        step = flow.step(conv.step)
        kind, _, arg = code.partition(":")
        if code == "back":
            return self._back(turn, result)
        if code == "skip" and step.skip:
            return await self._move(turn, step, step.skip, result)
        button = next((b for b in step.buttons if b.id == arg), None) if kind == "b" else None
        if button is not None and await self.registry.passes(button.when, turn):
            # A button its `when:` hides now (pressed in an older message) falls through.
            return await self._fire(turn, button_trigger(arg), result)
        if kind == "o" and step.options is not None:
            options = await self.renderer.options(turn, step)
            chosen = next((o for o in options if o.key == arg), None)
            if chosen is not None:
                turn.value, turn.option = chosen.key, chosen
                if step.options.save:
                    conv.data = {**conv.data, step.options.save: chosen.key}
                return await self._fire(turn, OPTION, result)
        result.notice = self._t(p, UNKNOWN_BUTTON)
        result.flash.append(self._t(p, UNKNOWN_BUTTON))
        result.edit = False
        return turn

    async def _reminder_press(self, repo: Repo, p: Practitioner, event: Press) -> Outcome:
        """A button on a reminder message. Such a message arrives outside any step, so its
        buttons carry no `seq` (they stay valid while the practitioner works on); they are
        signed for the practitioner, and the reminder's owner is checked in the query."""
        t = self.catalogs.get(p.language)
        parsed = parse_reminder_data(self.renderer.signer, p.external_key, event.data)
        if parsed is None:
            notice = t.gettext(UNKNOWN_BUTTON)
            return Outcome((), notice=notice, language=p.language)
        action, reminder_id = parsed
        answer = await reminder_buttons.press(
            repo, p, action, reminder_id, now=self.clock(), t=t, flows=self.flows
        )
        if answer.open is None:
            replies = () if answer.reply is None else (answer.reply,)
            return Outcome(replies, notice=answer.notice, edit=True, language=p.language)
        case_id, flow_id, step = answer.open
        result = _Result()
        if case_id is not None:
            p.active_case_id = case_id
        turn = await self._enter(repo, p, flow_id, result)
        flow, here = turn.flow, turn.conversation.step
        target = flow.steps.get(step) if flow.id == flow_id and step is not None else None
        if target is not None and target.name != here and not target.is_end:
            turn = await self._move(turn, flow.step(here), target.name, result)
        p.seq += 1
        reply = await self._render(turn, result.flash)
        return Outcome((reply,), notice=answer.notice, language=p.language)

    async def _text(
        self, repo: Repo, p: Practitioner, conv: Conversation, event: Text, result: _Result
    ) -> Turn:
        flow = self.flows[conv.flow]
        turn = self._turn(repo, p, flow, conv)
        spec = flow.step(conv.step).input
        if spec is None:
            result.flash.append(self._t(p, USE_BUTTONS))
            return turn
        text = clean_text(event.text)
        problem: str | None = None
        if not text:
            problem = turn.t(EMPTY) if spec.required else None
        elif len(text) > spec.max_length:
            problem = fill(turn.t(TOO_LONG), {"max": str(spec.max_length)})
        elif len(text) < spec.min_length:
            problem = fill(turn.t(TOO_SHORT), {"min": str(spec.min_length)})
        elif spec.pattern and not re.fullmatch(spec.pattern, text):
            problem = turn.t(spec.invalid or INVALID)
        if problem is not None:
            result.flash.append(problem)
            return turn
        turn.value = text
        if spec.save:
            conv.data = {**conv.data, spec.save: text}
        return await self._fire(turn, INPUT, result)

    async def _fire(self, turn: Turn, trigger: str, result: _Result) -> Turn:
        conv = turn.conversation
        before = conv.step
        model = await fire(self.machines[turn.flow.id], turn, before, trigger)
        branch = model.branch
        result.flash.extend(turn.flash)
        result.attachments.extend(turn.attachments)
        result.changed = True
        if turn.erased:  # the practitioner is about to be deleted: no step to move to
            result.erased = True
            return turn
        if branch is None:  # cannot happen with a fallback branch; keep the step
            return turn
        if branch.say:
            result.flash.append(
                fill(turn.t(branch.say), await self.renderer.values(turn, turn.flow.step(before)))
            )
        if branch.warn:
            tip = self.flows.tips()[branch.warn][1]
            result.flash.append(f"⚠️ {turn.t(tip.text)}")
            result.tips.append(tip.id)
        if branch.flow is not None:
            return await self._enter(turn.repo, turn.practitioner, branch.flow, result)
        if model.state != before:
            conv.trail = {"steps": [*conv.trail.get("steps", []), before]}
            conv.step = model.state
            step = turn.flow.step(model.state)
            if step.is_end:
                return await self._finish(turn, step, result)
        return turn

    async def _move(self, turn: Turn, step: Step, target: str, result: _Result) -> Turn:
        conv = turn.conversation
        conv.trail = {"steps": [*conv.trail.get("steps", []), step.name]}
        conv.step = target
        result.changed = True
        new = turn.flow.step(target)
        if new.is_end:
            return await self._finish(turn, new, result)
        return turn

    def _back(self, turn: Turn, result: _Result) -> Turn:
        conv = turn.conversation
        steps = list(conv.trail.get("steps", []))
        if steps:
            conv.step = steps.pop()
            conv.trail = {"steps": steps}
            result.changed = True
        return turn
