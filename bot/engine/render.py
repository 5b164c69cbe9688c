"""Turn a step into a `Reply`: text in the practitioner's language and signed buttons.

Rendering only reads; it never changes state. User values are HTML-escaped here, once,
so a label like `<b>Fam</b>` is shown literally on every channel. A step's tips are shown
in full the first time for a family, short after that (`bot.engine.tips_seen`); the
interpreter notes them as seen once the reply is made.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.engine import tips_seen
from bot.engine.events import Reply, ReplyButton
from bot.engine.options import Option
from bot.engine.registry import Registry
from bot.engine.signing import Signer
from bot.engine.spec import Button, Flow, Step
from bot.engine.turn import Turn
from bot.i18n import N_

if TYPE_CHECKING:
    from bot.store.models import Conversation, Practitioner

SHORT_LABEL = 16
NUMBERS_A_ROW = 6
BACK_LABEL = N_("‹ Back")
SKIP_LABEL = N_("Skip ›")
KEEP_LABEL = N_("Keep ›")
KEPT_NOW = N_("Now: “{value}”")
"""Under a typed step that keeps an answer already (`kept_answer`): what was typed."""
BACK_TO = "back"
"""The key in a conversation's trail naming the step "‹ Back" went to (see `kept_answer`)."""
STEP_OF = N_("Step {number} of {total}")
SOURCE = N_(
    "<i>Tips from parents of families with multiple and complex problems "
    "(factsheet of the Expertisecentrum GMCP / RuG and partners).</i>"
)
DO_MARK = "💡"
DONT_MARK = "⚠️"


_PLACEHOLDER = re.compile(r"\{(\w+)\}(\.?)")
_ENDS_SENTENCE = (".", "!", "?", "…")
_SENTENCE_BREAKS = ("\n", ". ", "! ", "? ")


def fill(text: str, values: Mapping[str, str]) -> str:
    """Put `values` into the `{name}` placeholders of a translated text.

    Missing placeholders stay visible instead of crashing. Two touches of orthography,
    because values are often typed by the practitioner: a value that ends a sentence
    itself ("Gezin B.") takes the place of the full stop after it (no "Gezin B.."), and a
    value that starts a sentence starts with a capital ("oma staat op de kaart" reads
    "Oma staat op de kaart").
    """

    def put(match: re.Match[str]) -> str:
        key, stop = match.group(1), match.group(2)
        if key not in values:
            return match.group(0)
        value = values[key]
        before = text[: match.start()]
        if value[:1].islower() and (not before or before.endswith(_SENTENCE_BREAKS)):
            value = value[0].upper() + value[1:]
        if stop and value.endswith(_ENDS_SENTENCE):
            stop = ""
        return value + stop

    return _PLACEHOLDER.sub(put, text)


def seq_of(p: Practitioner, conv: Conversation) -> str:
    """What the buttons of `conv`'s step carry, so that a button of an earlier step (or of
    another conversation) is recognised as old when pressed (`Interpreter._press`)."""
    return f"{p.seq}.{conv.seq}"


def escape(value: Any) -> str:
    return html.escape(str(value), quote=False)


def shorten(text: str, limit: int) -> str:
    """One line of at most `limit` characters, cut with "…" (for buttons and lists)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


KEPT_SHOWN = 80
"""At most this many characters of a kept answer, where it is shown."""


def kept_answer(turn: Turn, step: Step) -> str | None:
    """The answer a typed step already keeps (its `input: save:`), when it is worth
    showing: the practitioner came back to the step with "‹ Back", or the step can be
    skipped (skipping keeps it). Otherwise None: a step asked afresh (a second family's
    label) says nothing of the answer it kept last time. Shortened to one line of
    `KEPT_SHOWN` characters: a long note would push the question off a phone's screen."""
    if step.input is None or step.input.save is None:
        return None
    value = turn.data.get(step.input.save)
    if not isinstance(value, str) or not value.strip():
        return None
    if step.skip is None and turn.conversation.trail.get(BACK_TO) != step.name:
        return None
    return shorten(value, KEPT_SHOWN)


def skip_keeps(turn: Turn, step: Step) -> bool:
    """Whether "Skip ›" on `step` is the same as typing its kept answer again: it keeps an
    answer, and skipping goes where typing goes. Its button then says "Keep ›"."""
    if step.input is None or kept_answer(turn, step) is None:
        return False
    return all(b.to == step.skip and b.flow is None for b in step.input.branches)


class Renderer:
    def __init__(self, registry: Registry, signer: Signer) -> None:
        self.registry = registry
        self.signer = signer

    def data(self, turn: Turn, payload: str) -> str:
        seq = seq_of(turn.practitioner, turn.conversation)
        return self.signer.sign(turn.practitioner.external_key, f"{seq}:{payload}")

    async def values(self, turn: Turn, step: Step) -> dict[str, str]:
        case = await turn.active_case()
        values = {k: escape(v) for k, v in turn.data.items() if isinstance(v, str | int)}
        values["case"] = escape(case.label) if case else "—"
        for view in step.views:
            values.update(await self.registry.views[view](turn))
        return values

    async def options(self, turn: Turn, step: Step) -> list[Option]:
        if step.options is None:
            return []
        return await self.registry.providers[step.options.provider](turn)

    async def step(self, turn: Turn, flow: Flow, step: Step, *, flash: list[str]) -> Reply:
        t = turn.t
        values = await self.values(turn, step)
        parts: list[str] = [line for line in flash if line]
        tips: list[str] = []
        numbered = flow.numbered_steps()
        if flow.progress and step.name in numbered:
            where = fill(
                t(STEP_OF),
                {"number": str(numbered.index(step.name) + 1), "total": str(len(numbered))},
            )
            parts.append(f"<i>{escape(t(flow.title))} · {where}</i>")
        if step.say:
            # Trimmed: a view with nothing to list (yet) leaves no blank line behind.
            parts.append(fill(t(step.say), values).strip())
        kept = kept_answer(turn, step)
        if kept is not None:
            parts.append(fill(t(KEPT_NOW), {"value": escape(kept)}))
        if step.card is not None:
            card, shown = self.card(turn, step.card)
            parts.append(card)
            tips.extend(shown)
        all_tips = turn.flows.tips()
        known = tips_seen.seen(turn)
        for tid in (*step.do, *step.dont):
            tip = all_tips[tid][1]
            mark = DO_MARK if tip.kind == "do" else DONT_MARK
            text = tip.short if tip.short and tid in known else tip.text
            parts.append(f"{mark} {fill(t(text), values)}")
            tips.append(tid)
        options = await self.options(turn, step)
        if step.options and not options and step.options.empty:
            parts.append(fill(t(step.options.empty), values))
        rows = self._option_rows(turn, options)
        visible = [
            b for b in step.buttons if not b.when or await self.registry.passes(b.when, turn)
        ]
        rows.extend(self._button_rows(turn, step, visible))
        return Reply("\n\n".join(parts), tuple(rows), tuple(tips))

    def _option_rows(self, turn: Turn, options: list[Option]) -> list[tuple[ReplyButton, ...]]:
        """A row per choice; choices with a number for a label (the lines of a list say
        what they are) share rows, NUMBERS_A_ROW at a time."""
        rows: list[tuple[ReplyButton, ...]] = []
        numbers: list[ReplyButton] = []
        for option in options:
            button = ReplyButton(escape_label(option.label), self.data(turn, f"o:{option.key}"))
            if option.label.isdigit():
                numbers.append(button)
                if len(numbers) == NUMBERS_A_ROW:
                    rows.append(tuple(numbers))
                    numbers = []
                continue
            rows.append((button,))
        if numbers:
            rows.append(tuple(numbers))
        return rows

    def _button_rows(
        self, turn: Turn, step: Step, visible: list[Button]
    ) -> list[tuple[ReplyButton, ...]]:
        """`visible`: the step's buttons whose `when:` guards pass now."""
        t = turn.t
        buttons = [ReplyButton(t(b.label), self.data(turn, f"b:{b.id}")) for b in visible]
        extra: list[ReplyButton] = []
        if step.skip is None and kept_answer(turn, step) is not None:
            extra.append(ReplyButton(t(KEEP_LABEL), self.data(turn, "keep")))
        if step.back and turn.conversation.trail.get("steps"):
            extra.append(ReplyButton(t(BACK_LABEL), self.data(turn, "back")))
        if step.skip:
            label = KEEP_LABEL if skip_keeps(turn, step) else SKIP_LABEL
            extra.append(ReplyButton(t(label), self.data(turn, "skip")))
        rows: list[tuple[ReplyButton, ...]] = []
        row: list[ReplyButton] = []
        for button in buttons:
            if len(button.label) > SHORT_LABEL:
                if row:
                    rows.append(tuple(row))
                    row = []
                rows.append((button,))
                continue
            row.append(button)
            if len(row) == 2:
                rows.append(tuple(row))
                row = []
        if row:
            rows.append(tuple(row))
        if extra:
            rows.append(tuple(extra))
        return rows

    def card(self, turn: Turn, phase: int) -> tuple[str, list[str]]:
        """The quick-reminder card of one phase, made from the tips in the flows."""
        t = turn.t
        tips = [tip for _, tip in turn.flows.tips().values() if tip.phase == phase]
        lines = [f"{DO_MARK} {t(tip.text)}" for tip in tips if tip.kind == "do"]
        lines += [f"{DONT_MARK} {t(tip.text)}" for tip in tips if tip.kind == "dont"]
        if not any(tip.kind == "dont" for tip in tips):
            lines.append(t(N_("Parents named no don'ts for this phase.")))
        lines.append(t(SOURCE))
        return "\n".join(lines), [tip.id for tip in tips]


def escape_label(label: str) -> str:
    """Button labels are plain text on Telegram; keep them short and single-line."""
    flat = " ".join(label.split())
    return flat if len(flat) <= 60 else flat[:59] + "…"
