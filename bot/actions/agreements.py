"""Agreements, and /afspraken: list per phase, mark tasks done, edit, delete.

Parents asked that what is agreed about their network is written down in a plan they
share. Every agreement is made and changed through the helpers here, so each change also
lands in the audit trail, and every lookup goes through the active case: an id that
travels in a button is never trusted on its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from bot.actions.common import active_open_case, fill, forget, open_case, shorten_words
from bot.actions.labels import check_note
from bot.engine.errors import Reject
from bot.engine.options import Option
from bot.engine.registry import registry
from bot.engine.render import escape
from bot.engine.turn import Turn
from bot.i18n import LANGUAGES, N_, Catalogs
from bot.i18n.fmt import date_long
from bot.store.agreements import PREPARATION
from bot.store.models import Agreement, Case, Person
from bot.store.status import AgreementStatus

GONE = N_("That agreement no longer exists. Nothing was changed.")
NONE_YET = N_("No agreements yet. They are made in the phases, together with the family.")
MARKED_DONE = N_("Marked as done.")
REOPENED = N_("Open again.")
EDITED = N_("The agreement now reads: “{text}”")
DELETED = N_("The agreement was deleted.")
NOT_A_TASK = N_("This is a note, not a task: there is nothing to mark as done.")
DONE_LABEL = N_("Mark done ✓")
REOPEN_LABEL = N_("Open again")
OPEN_MARK, DONE_MARK = "▫️", "✅"

KINDS = {
    "preparation": N_("Preparation"),
    "wish": N_("The parents' wish"),
    "join_offer": N_("Someone along"),
    "trust": N_("Trust"),
    "decision": N_("Contact"),
    "approach": N_("Goal"),
    "responsibility": N_("Who does what"),
    "follow_up": N_("Check-in"),
    "outcome": N_("How it is going"),
    "closing": N_("Closing conversation"),
    "problem_plan": N_("When a problem comes up"),
    "expectation": N_("Expectation"),
    "check_in": N_("Check-in"),
}
"""How /afspraken names each kind of agreement, in all phases; unknown kinds: OTHER_KIND."""
OTHER_KIND = N_("Agreement")
SHORT_KINDS = {
    "wish": N_("Wish"),
    "responsibility": N_("Task"),
    "closing": N_("Closing"),
    "problem_plan": N_("Problem plan"),
}
"""The kind in a list line, where the long name would take the room of the content
("Wens van de ouder: …" left a few words); the item view keeps the names of KINDS."""
NOTE_KINDS = frozenset(
    {PREPARATION, "wish", "join_offer", "trust", "decision", "outcome", "closing", "expectation"}
)
"""Records of what was prepared, said or decided: notes, never marked done. Every other
kind (approach, responsibility, follow_up, problem_plan, check_in, agreement) is a task."""
WHO = {"parent": N_("the parent"), "practitioner": N_("you")}
PHASE = N_("Phase {number}")
STATUS: dict[str, str] = {AgreementStatus.OPEN: N_("open"), AgreementStatus.DONE: N_("done")}
WHO_LINE = N_("Who: {who}")
DUE_LINE = N_("Until when: {due}")
STATUS_LINE = N_("Status: {status}")
NOTED_LINE = N_("Noted on {date}")
PAGE_SIZE = 6
"""Agreements a page of /afspraken: six short lines under up to four headings, and six
number buttons, stay well under 600 characters."""
PAGE_LINE = N_("Page {page} of {pages}")
"""Under a page that is one of several. Not "13–18 of 40": the lines of every page are
numbered 1 to 6, like its buttons (see `_page`)."""
LINE_TEXT = 48
"""Characters of "Kind · who: text" in the list (the text is cut after a whole word with
"…", to no less than LINE_MIN), so a line fits a phone; the item view shows all of it."""
LINE_MIN = 20
LINE_WHO = 20
"""Characters of who in a line: a role and a first name ("buurvrouw Fatma")."""
BOT_LABELS: list[str] = []
"""The msgids of the texts the bot stores with a label of its own before a colon ("In de
woorden van de ouder: …", "Signaal: …", "Hoe het gaat met Oma: …"), registered with
`bot_label` where they are made. A list line leaves that label out (the kind word and who
already say it); a label the practitioner typed ("Let op: …") always stays."""
_PLACEHOLDER = re.compile(r"\\\{\w+\\\}")
"""A placeholder once `re.escape`d: "\\{name\\}"."""


def bot_label(msgid: str) -> str:
    """Register `msgid` as a text that opens with the bot's own label; returns it."""
    BOT_LABELS.append(msgid)
    return msgid


@lru_cache(maxsize=8)
def _bot_labels(catalogs: Catalogs) -> re.Pattern[str]:
    """The bot's own labels in every language (a text keeps the language it was stored
    in), a placeholder standing for a few words: "Hoe het gaat met .{1,60}?: "."""
    heads: set[str] = set()
    for msgid in BOT_LABELS:
        for language in LANGUAGES:
            head, colon, _ = catalogs.get(language).gettext(msgid).partition(": ")
            if colon and head:
                heads.add(_PLACEHOLDER.sub(".{1,60}?", re.escape(head)))
    alternatives = "|".join(sorted(heads, key=len, reverse=True)) or "(?!)"
    return re.compile(rf"(?:{alternatives}):\s+(?=\S)")


# The keys /afspraken keeps in the conversation while one agreement is open, and the page.
CHOSEN = "agreement_id"
PAGE = "agreement_page"


# --- helpers other modules use ------------------------------------------------------------


async def add_agreement(
    turn: Turn,
    case: Case,
    phase: int,
    kind: str,
    text: str,
    *,
    who: str | None = None,
    person: Person | None = None,
    due: str | None = None,
    detail: dict[str, Any] | None = None,
) -> Agreement:
    """Store an agreement and note it in the audit trail."""
    agreement = await turn.repo.add_agreement(
        case, phase, text, kind=kind, who=who, person=person, due=due, detail=detail
    )
    turn.record("agreement.added", _ref(agreement), text, case_id=case.id)
    return agreement


def _ref(agreement: Agreement) -> str:
    return f"agreement:{agreement.id}"


def who_label(turn: Turn, who: str | None) -> str:
    """`parent` and `practitioner` in the practitioner's language; a name as noted."""
    if who is None:
        return "—"
    return turn.t(WHO[who]) if who in WHO else escape(who)


def phase_title(turn: Turn, phase: int) -> str:
    """The title of the phase's flow ("Fase 2 · in kaart brengen"), else "Phase 2"."""
    flow = next((f for f in turn.flows if f.phase == phase and f.scope == "case"), None)
    if flow is not None:
        return turn.t(flow.title)
    return turn.t(PHASE).replace("{number}", str(phase))


def is_task(agreement: Agreement) -> bool:
    """Something to do, which can be marked done; the rest are notes."""
    return agreement.kind not in NOTE_KINDS


def status_mark(agreement: Agreement) -> str:
    """▫️ or ✅ for a task; nothing for a note (there is nothing to tick off)."""
    if not is_task(agreement):
        return ""
    return DONE_MARK if agreement.status == AgreementStatus.DONE else OPEN_MARK


def heading(turn: Turn, agreement: Agreement) -> str:
    """The heading an agreement is listed under: "Preparation" or its phase's title."""
    if agreement.kind == PREPARATION:
        return turn.t(KINDS[PREPARATION])
    return phase_title(turn, agreement.phase)


async def _case_agreements(turn: Turn) -> Sequence[Agreement]:
    """The active case's agreements in the order /afspraken lists and numbers them: the
    preparation first, then per phase, each in the order they were made."""
    case = await active_open_case(turn)
    if case is None:
        return []
    found = await turn.repo.agreements(case)
    return sorted(found, key=lambda a: (a.kind != PREPARATION, a.phase, a.id))


async def _chosen(turn: Turn) -> Agreement:
    """The agreement this conversation is about, re-checked against the active case."""
    case = await open_case(turn)
    raw = str(turn.data.get(CHOSEN) or "")
    agreement = await turn.repo.agreement(turn.practitioner, int(raw) if raw.isdigit() else None)
    if agreement is None or agreement.case_id != case.id:
        raise Reject(GONE)
    return agreement


# --- /afspraken -------------------------------------------------------------------------------


def without_label(text: str, catalogs: Catalogs) -> str:
    """The text on one line, without the bot's own label before its colon (BOT_LABELS):
    what a list line leads with. A text that is only a label stays as it is, and so
    does any label the practitioner typed."""
    flat = " ".join(text.split())
    match = _bot_labels(catalogs).match(flat)
    return flat if match is None else flat[match.end() :]


def line_who(turn: Turn, agreement: Agreement) -> str | None:
    """Who, as a list line says it (plain text): for a task whoever must act, "jij" and
    "de ouder" too; for a note only a name (a note's "the parent" says nothing new)."""
    who = agreement.who
    if not who or (who in WHO and not is_task(agreement)):
        return None
    said = turn.t(WHO[who]) if who in WHO else who
    return shorten_words(said[:1].upper() + said[1:], LINE_WHO)


def line_head(turn: Turn, agreement: Agreement) -> str | None:
    """What stands before the colon of a line (plain text): a short kind word and who
    ("Doel · Oma"); who alone for who does what ("Fatma"); none for the preparation,
    which its heading names."""
    who = line_who(turn, agreement)
    if agreement.kind == PREPARATION or (who and agreement.kind == "responsibility"):
        return who
    msgid = SHORT_KINDS.get(agreement.kind) or KINDS.get(agreement.kind, OTHER_KIND)
    kind = turn.t(msgid)
    return f"{kind} · {who}" if who else kind


def short_line(turn: Turn, agreement: Agreement, limit: int = LINE_TEXT) -> str:
    """ "<b>Doel · Oma</b>: Haalt de kinderen op…", escaped, at most `limit` characters
    as read: the content leads (no label repeated) and is cut only after a whole word."""
    content = without_label(agreement.text, turn.catalogs)
    head = line_head(turn, agreement)
    if head is None:
        return escape(shorten_words(content, limit))
    room = max(LINE_MIN, limit - len(head) - len(": "))
    return f"<b>{escape(head)}</b>: {escape(shorten_words(content, room))}"


def list_line(turn: Turn, number: int, agreement: Agreement) -> str:
    """One short line: number, mark (tasks only), who and kind, the start of the text."""
    text = short_line(turn, agreement)
    mark = status_mark(agreement)
    return f"{number}. {mark} {text}" if mark else f"{number}. {text}"


def _page_number(turn: Turn, pages: int) -> int:
    """The page shown now, 0-based, kept within the pages there are (an agreement
    deleted on the last page leaves one page fewer)."""
    page = turn.data.get(PAGE)
    return min(page, pages - 1) if isinstance(page, int) and page > 0 else 0


async def _page(turn: Turn) -> tuple[list[tuple[int, Agreement]], int, int]:
    """The numbered agreements of the page shown now, that page (0-based) and the count
    of pages: PAGE_SIZE a page, so the list and its buttons fit a phone screen.

    Every page numbers its lines from 1, as its buttons: where buttons are numbered
    choices (console, Matrix) the page's agreements are choices 1 to 6, so the number a
    line shows is the number that opens it, on page 3 as on page 1."""
    agreements = await _case_agreements(turn)
    pages = max(1, -(-len(agreements) // PAGE_SIZE))
    page = _page_number(turn, pages)
    shown = agreements[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    return list(enumerate(shown, start=1)), page, pages


@registry.view("agreement_list")
async def agreement_list(turn: Turn) -> dict[str, str]:
    """The agreements of this page under "Preparation" and per phase, one short line
    each, numbered like the buttons below; "Page 2 of 3" when there is more than one."""
    shown, page, pages = await _page(turn)
    if not shown:
        return {"agreements": turn.t(NONE_YET)}
    blocks: list[str] = []
    current: str | None = None
    for number, agreement in shown:
        title = heading(turn, agreement)
        if title != current:
            current = title
            blocks.append(f"\n<b>{escape(title)}</b>")
        blocks.append(list_line(turn, number, agreement))
    if pages > 1:
        span = fill(turn, PAGE_LINE, page=str(page + 1), pages=str(pages))
        blocks.append(f"\n<i>{span}</i>")
    return {"agreements": "\n".join(blocks).strip()}


@registry.provider("agreement_options")
async def agreement_options(turn: Turn) -> list[Option]:
    """One button per agreement of this page, labelled with its number only (the line
    above says what it is); the key is its id, which the engine signs and checks against
    this same list when the button comes back."""
    shown, _page_shown, _pages = await _page(turn)
    return [Option(str(agreement.id), str(number)) for number, agreement in shown]


@registry.guard("agreements_later")
async def agreements_later(turn: Turn) -> bool:
    """There is a page after this one."""
    _shown, page, pages = await _page(turn)
    return page < pages - 1


@registry.guard("agreements_earlier")
async def agreements_earlier(turn: Turn) -> bool:
    _shown, page, _pages = await _page(turn)
    return page > 0


@registry.action("agreements_next_page")
async def agreements_next_page(turn: Turn) -> None:
    _shown, page, _pages = await _page(turn)
    turn.conversation.data = {**turn.data, PAGE: page + 1}


@registry.action("agreements_previous_page")
async def agreements_previous_page(turn: Turn) -> None:
    _shown, page, _pages = await _page(turn)
    turn.conversation.data = {**turn.data, PAGE: max(0, page - 1)}


def _line(turn: Turn, msgid: str, key: str, value: str) -> str:
    return turn.t(msgid).replace("{" + key + "}", value)


@registry.view("agreement_card")
async def agreement_card(turn: Turn) -> dict[str, str]:
    """The chosen agreement for `{kind}`, `{phase}` (its heading in the list), `{text}`
    (all of it) and `{details}`: who and until when if noted, the status of a task, and
    the date it was noted."""
    try:
        agreement = await _chosen(turn)
    except Reject:
        return {"kind": "—", "phase": "—", "text": turn.t(GONE), "details": ""}
    phase = phase_title(turn, agreement.phase)
    if agreement.kind == PREPARATION:
        flow = turn.flows.flows.get("voorbereiden")
        phase = turn.t(flow.title) if flow is not None else phase
    details = []
    if agreement.who:
        details.append(_line(turn, WHO_LINE, "who", who_label(turn, agreement.who)))
    if agreement.due:
        details.append(_line(turn, DUE_LINE, "due", escape(agreement.due)))
    if is_task(agreement):
        status = turn.t(STATUS.get(agreement.status, agreement.status))
        details.append(_line(turn, STATUS_LINE, "status", f"{status_mark(agreement)} {status}"))
    date = date_long(agreement.created_at, turn.language, turn.practitioner.timezone)
    details.append(_line(turn, NOTED_LINE, "date", date))
    return {
        "kind": turn.t(KINDS.get(agreement.kind, OTHER_KIND)),
        "phase": escape(phase),
        "text": escape(agreement.text),
        "details": "\n".join(details),
    }


@registry.provider("agreement_actions")
async def agreement_actions(turn: Turn) -> list[Option]:
    """What can be done with the chosen agreement besides edit and delete: a task that is
    open can be marked done, a done task opened again; a note has neither."""
    try:
        agreement = await _chosen(turn)
    except Reject:
        return []
    if not is_task(agreement):
        return []
    if agreement.status == AgreementStatus.DONE:
        return [Option("reopen", turn.t(REOPEN_LABEL))]
    return [Option("done", turn.t(DONE_LABEL))]


@registry.action("set_agreement_status")
async def set_agreement_status(turn: Turn) -> None:
    """Mark the chosen task done (`done`) or open again (`reopen`)."""
    agreement = await _chosen(turn)
    if not is_task(agreement):
        raise Reject(NOT_A_TASK)
    if turn.value == "done":
        agreement.status = AgreementStatus.DONE
        turn.record("agreement.done", _ref(agreement), "done")
        turn.flash.append(turn.t(MARKED_DONE))
    else:
        agreement.status = AgreementStatus.OPEN
        turn.record("agreement.reopened", _ref(agreement), "open")
        turn.flash.append(turn.t(REOPENED))


def edited_detail(
    detail: dict[str, Any] | None, text: str, catalogs: Catalogs
) -> dict[str, Any] | None:
    """The parts of an agreement after its text was changed by hand: a closing answer is
    still the answer to its question (the new text, without a label before a colon);
    other parts (a plan's signal and action, a check-in's date) were the old text's, and
    the new text is shown whole instead."""
    if detail is None or "question" not in detail:
        return None
    return {"question": detail["question"], "answer": without_label(text, catalogs)}


@registry.action("edit_agreement")
async def edit_agreement(turn: Turn) -> None:
    agreement = await _chosen(turn)
    text = check_note(str(turn.value or "").strip())
    agreement.text = text
    agreement.detail = edited_detail(agreement.detail, text, turn.catalogs)
    turn.record("agreement.edited", _ref(agreement), text)
    turn.flash.append(turn.t(EDITED).replace("{text}", escape(text)))


@registry.action("delete_agreement")
async def delete_agreement(turn: Turn) -> None:
    agreement = await _chosen(turn)
    ref = _ref(agreement)
    await turn.repo.delete_agreement(agreement)
    turn.record("agreement.deleted", ref)
    forget(turn, CHOSEN)
    turn.flash.append(turn.t(DELETED))
