"""Interpret the flows: what one event does to one practitioner's conversation.

The interpreter enters flows, presses buttons, reads typed text, fires the flow's machine,
moves, goes back and finishes. It works on the rows it is given through a `Repo`, inside a
transaction someone else opened: it never opens a session, commits, claims an event id,
caches a turn or decides who may use the bot. That is `bot.turns`, one layer up, which
calls `apply` for an event; after an action's `Reject` it rolls back and calls `refuse`,
and for an event applied before it calls `show`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from transitions.extensions.asyncio import AsyncMachine

from bot.config import Settings
from bot.engine import tips_seen
from bot.engine.buttons import ButtonHandler, ButtonPress
from bot.engine.errors import Reject
from bot.engine.events import Attachment, Command, Event, Outcome, Press, Reply, Text, Unsupported
from bot.engine.machines import INPUT, OPTION, build_machine, button_trigger, fire
from bot.engine.messages import (
    CANCELLED,
    EDITED,
    INTRODUCTION_FIRST,
    KEPT,
    NEEDS_CASE,
    NOTHING_TO_CANCEL,
    STALE,
    STALE_NOTICE,
    UNKNOWN_BUTTON,
    UNKNOWN_COMMAND,
    UNSUPPORTED,
    USE_BUTTONS,
)
from bot.engine.registry import Registry
from bot.engine.render import BACK_TO, Renderer, escape, fill, kept_answer, seq_of
from bot.engine.signing import Signer
from bot.engine.spec import CANCEL, CANCEL_EN, START, Flow, FlowSet, Step
from bot.engine.turn import Turn
from bot.engine.typed import clean_text, problem_with
from bot.i18n import Catalogs
from bot.store.models import Conversation, Practitioner, utcnow
from bot.store.repo import NO_SCOPE, Repo, case_scope
from bot.store.status import FINISHED_BEFORE, CaseStatus, ConversationStatus, counts_as_done

MENU, ONBOARDING, CASES = "menu", "onboarding", "cases"
THEN = "_then"
"""Onboarding's data: the case flow whose command came before it, entered after it instead
of the menu (`/voorbereiden` as someone's very first command: introduction, their first
family, then the preparation)."""


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
    stale: bool = False
    """The press was of an earlier step's button, or of none: see `Outcome.stale`."""
    started: bool = False
    """`_enter` began the flow afresh (new, or done before) rather than resuming it."""


class Interpreter:
    """Holds the flows and one machine per flow; keeps nothing per practitioner."""

    def __init__(
        self,
        flows: FlowSet,
        registry: Registry,
        catalogs: Catalogs,
        signer: Signer,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.flows = flows
        self.registry = registry
        self.catalogs = catalogs
        self.settings = settings
        self.clock = clock
        """What "now" is for the actions (reminder times); tests move it instead of sleeping."""
        self.renderer = Renderer(registry, signer)
        self.machines: dict[str, AsyncMachine] = {
            flow.id: build_machine(flow, registry) for flow in flows
        }

    # --- the three ways in ---------------------------------------------------------------

    async def apply(self, repo: Repo, p: Practitioner, event: Event) -> Outcome:
        """Apply `event` to `p`'s conversation and say what to show. Raises `Reject` when an
        action refuses; the caller rolls back and asks `refuse` for the answer."""
        conv = await self._current(repo, p)
        before = conv
        if isinstance(event, Press):
            handler = self.registry.buttons.get(event.data.partition(":")[0])
            if handler is not None:
                return await self._button(repo, p, event, handler)
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
            return Outcome((farewell,), edit=result.edit, language=p.language, erased=True)
        if result.changed:
            _bump(p, before, turn.conversation)
        reply = await self._render(turn, result.flash)
        tips_seen.remember(turn, reply.tips)
        if result.tips:
            reply = replace(reply, tips=(*result.tips, *reply.tips))
        return Outcome(
            (reply,),
            notice=result.notice,
            edit=result.edit and not result.attachments,
            language=p.language,
            attachments=tuple(result.attachments),
            stale=result.stale,
        )

    async def refuse(self, repo: Repo, p: Practitioner, rejected: Reject, event: Event) -> Outcome:
        """The answer to an event an action refused (`Reject`), in a fresh transaction:
        the step as it still is, with the reason above it."""
        conv = await self._current(repo, p)
        result = _Result()
        if conv is None:
            turn = await self._enter(repo, p, MENU, result)
        else:
            turn = self._turn(repo, p, self.flows[conv.flow], conv)
        line = fill(turn.t(rejected.msgid), rejected.values)
        reply = await self._render(turn, [line])
        return Outcome((reply,), edit=isinstance(event, Press), language=p.language)

    async def show(self, repo: Repo, p: Practitioner, event: Event) -> Outcome:
        """The current step as it is, written nowhere: the answer to an event applied
        before (its first delivery may have died between the commit and the reply)."""
        conv = await self._current(repo, p)
        if conv is None:
            return Outcome((), language=p.language, duplicate=True)
        turn = self._turn(repo, p, self.flows[conv.flow], conv)
        reply = await self._render(turn, [])
        edit = isinstance(event, Press)
        return Outcome((reply,), edit=edit, language=p.language, duplicate=True)

    # --- helpers -------------------------------------------------------------------------

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
            if case is None or case.status != CaseStatus.OPEN:
                result.flash.append(self._t(p, NEEDS_CASE))
                return await self._enter(repo, p, CASES, result)
            case_id, scope = case.id, case_scope(case.id)
        if resume is None:
            resume = flow.scope == "case" and flow.resume
        conv = await repo.conversation(p, flow.id, scope)
        if conv is not None and conv.status == ConversationStatus.WAITING:
            conv.status, resume = (
                ConversationStatus.ACTIVE,
                True,
            )  # left at a typing step: carry on there
        if conv is None:
            conv = await repo.add_conversation(p, flow.id, scope, flow.start, case_id)
            result.started = True
        elif not resume or conv.status != ConversationStatus.ACTIVE or conv.step not in flow.steps:
            trail: dict[str, object] = {"steps": []}
            if counts_as_done(conv.status, conv.trail):
                trail[FINISHED_BEFORE] = True  # reopened: the phase stays done
            conv.step, conv.status, conv.data, conv.trail = (
                flow.start,
                ConversationStatus.ACTIVE,
                {},
                trail,
            )
            result.started = True
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
        if (
            step is not None
            and step.input is not None
            and current.status == ConversationStatus.ACTIVE
        ):
            current.status = ConversationStatus.WAITING
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
            conv.status = ConversationStatus.DONE
            turn.record("flow.done")
        assert step.end is not None
        then = conv.data.get(THEN)
        target = then if isinstance(then, str) and then in self.flows.flows else step.end
        return await self._enter(turn.repo, turn.practitioner, target, result)

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
        if event.name in (CANCEL, CANCEL_EN):
            if conv is None or conv.flow == MENU:
                result.flash.append(self._t(p, NOTHING_TO_CANCEL))
            else:
                if conv.case_id is not None:
                    # Drop the draft of this flow; what was recorded stays recorded, and a
                    # phase that was done (saved, or reopened after that) stays done.
                    conv.status = (
                        ConversationStatus.DONE
                        if counts_as_done(conv.status, conv.trail)
                        else ConversationStatus.CANCELLED
                    )
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
        if not p.onboarded and flow.scope == "case" and ONBOARDING in self.flows.flows:
            return await self._introduce_first(repo, p, conv, flow, result)
        return await self._enter(repo, p, flow.id, result)

    async def _introduce_first(
        self, repo: Repo, p: Practitioner, conv: Conversation | None, flow: Flow, result: _Result
    ) -> Turn:
        """A case flow's command before onboarding: onboarding first (it makes the first
        family such a flow needs), where it was if it had begun, and that flow after it."""
        if conv is not None and conv.flow == ONBOARDING:
            turn = self._turn(repo, p, self.flows[ONBOARDING], conv)
        else:
            turn = await self._enter(repo, p, ONBOARDING, result)
        turn.conversation.data = {**turn.conversation.data, THEN: flow.id}
        result.changed = True
        title = self._t(p, flow.title)
        result.flash.append(fill(self._t(p, INTRODUCTION_FIRST), {"title": escape(title)}))
        return turn

    async def _press(
        self, repo: Repo, p: Practitioner, conv: Conversation, event: Press, result: _Result
    ) -> Turn:
        flow = self.flows[conv.flow]
        turn = self._turn(repo, p, flow, conv)
        payload = self.renderer.signer.verify(p.external_key, event.data)
        seq, _, code = (payload or "").partition(":")
        if payload is None or not seq.replace(".", "", 1).isdigit():
            result.notice, result.stale = self._t(p, UNKNOWN_BUTTON), True
            result.flash.append(self._t(p, UNKNOWN_BUTTON))
            return turn
        if not _current_seq(seq, p, conv):
            result.notice, result.stale = self._t(p, STALE_NOTICE), True
            result.flash.append(self._t(p, STALE))
            return turn
        result.edit = True
        step = flow.step(conv.step)
        kind, _, arg = code.partition(":")
        if code == "back":
            return self._back(turn, result)
        if code == "skip" and step.skip:
            self._say_kept(turn, step, result)
            return await self._move(turn, step, step.skip, result)
        kept = kept_answer(turn, step) if code == "keep" else None
        if kept is not None:
            # "Keep ›": as if the kept answer was typed again (its actions run again).
            self._say_kept(turn, step, result)
            turn.value = kept
            return await self._fire(turn, INPUT, result)
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

    async def _button(
        self, repo: Repo, p: Practitioner, event: Press, handler: ButtonHandler
    ) -> Outcome:
        """A registered button outside any step (`bot.engine.buttons`): signed for the
        practitioner, and carrying no step number, so it stays valid while they work on."""
        t = self.catalogs.get(p.language)
        payload = self.renderer.signer.verify(p.external_key, event.data)
        answer = None
        if payload is not None:
            press = ButtonPress(repo, p, payload, t, self.flows, self.clock())
            answer = await handler(press)
        if answer is None:
            return Outcome((), notice=t.gettext(UNKNOWN_BUTTON), language=p.language)
        if answer.open is None:
            replies = () if answer.reply is None else (answer.reply,)
            return Outcome(replies, notice=answer.notice, edit=True, language=p.language)
        where = answer.open
        result = _Result()
        if where.case_id is not None:
            p.active_case_id = where.case_id
        turn = await self._enter(repo, p, where.flow, result)
        flow, here = turn.flow, turn.conversation.step
        target = (
            flow.steps.get(where.step) if flow.id == where.flow and where.step is not None else None
        )
        if target is not None and target.name != here and not target.is_end:
            if result.started:
                # Begun afresh for this: its first step is no place the practitioner came
                # from, so "‹ Back" does not lead there (the step shows none).
                turn.conversation.step = target.name
            else:  # a flow in progress: "‹ Back" returns to where it was left
                turn = await self._move(turn, flow.step(here), target.name, result)
        p.seq += 1
        reply = await self._render(turn, result.flash)
        tips_seen.remember(turn, reply.tips)
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
        problem = problem_with(text, spec, turn.translator)
        if problem is None and text:
            try:  # one check for every typed answer: contact details stay out of them all
                self.registry.texts[spec.holds](text)
            except Reject as refused:
                problem = fill(turn.t(refused.msgid), refused.values)
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
            _forward(conv, before)
            conv.step = model.state
            step = turn.flow.step(model.state)
            if step.is_end:
                return await self._finish(turn, step, result)
        return turn

    async def _move(self, turn: Turn, step: Step, target: str, result: _Result) -> Turn:
        conv = turn.conversation
        _forward(conv, step.name)
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
            conv.trail = {**conv.trail, "steps": steps, BACK_TO: conv.step}
            result.changed = True
        return turn

    def _say_kept(self, turn: Turn, step: Step, result: _Result) -> None:
        """Skipping (or keeping) a step that keeps an answer: say plainly that it stays."""
        kept = kept_answer(turn, step)
        if kept is not None:
            result.flash.append(fill(turn.t(KEPT), {"value": escape(kept)}))


def _forward(conv: Conversation, left: str) -> None:
    """On from step `left`: it joins the trail that "‹ Back" walks, and the step reached
    is no longer one that "‹ Back" went to."""
    trail = {k: v for k, v in conv.trail.items() if k != BACK_TO}
    conv.trail = {**trail, "steps": [*conv.trail.get("steps", []), left]}
