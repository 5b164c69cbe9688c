"""Logs never contain message text, labels, names or the token.

The real bot (python-telegram-bot over HTTP against the stub Bot API) is started with the
production logging set-up at its most verbose: `configure_logging("DEBUG", token)`, and the
root logger at DEBUG for pytest's capture too. A practitioner then walks onboarding,
/gezin, /voorbereiden and fase 1 to 4 typing distinctive words. Not one of them, nor the
token, may appear in any captured record or in what the log handler printed.

Libraries are the risk here: at DEBUG, python-telegram-bot logs every Bot API call with
its parameters (the texts) and httpx every URL (which carries the token). The logging
set-up must hold them back, whatever the root level is.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot import logsetup
from bot.config import Settings
from tests.e2e.test_telegram_phases import Walk
from tests.support.onboarding import onboard_user
from tests.support.stub_bot_api import SimUser, StubBotAPI
from tests.support.telegram import TOKEN, Texts, bot_against

pytestmark = pytest.mark.e2e

LABEL = "Fam. Xylofoonstemmer"
RENAMED = "Fam. Quokkaherder"
OPENING = "Zeppelinverhaal als opening"
WISH = "Wens met marsepeinkrullen"
PERSON = "Oma Wilhelmientje"
OTHER = "buurman Quirijn"
MEANING = "Bakt kruidnotenvlaai"
GOAL = "Brengt Fenneke-junior naar trampolineles"
UNTIL = "tot de krokusvakantie"
PARENT_TASK = "Moeder belt Wilhelmientje zelf"
PERSON_TASK = "Meldt zich bij afzeggen via moeder"
CLOSING = (
    "Het netwerk voelt als walvisgezang",
    "Zij zijn de vuurtorenwachters",
    "Dat het pinguinoverleg blijft",
    "Kinderen vergeten hun gymtas-signaal",
    "tante Ermengarde",
    "Ermengarde komt langs met soep",
    "Ermengarde: komt op donderdag",
    "over 2 weken: kolibrie-check",
)
REMINDER = "Flamingo-overleg met Ermengarde"
TYPED = (
    LABEL,
    RENAMED,
    OPENING,
    WISH,
    PERSON,
    OTHER,
    MEANING,
    GOAL,
    UNTIL,
    PARENT_TASK,
    PERSON_TASK,
    *CLOSING,
    REMINDER,
)
WORDS = (
    "Xylofoon",
    "Quokka",
    "Wilhelmientje",
    "Quirijn",
    "Ermengarde",
    "kruidnotenvlaai",
    "Flamingo",
)
SECRET = TOKEN.split(":", 1)[1]


@pytest.fixture
def production_logging(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The bot's own logging set-up at DEBUG, undone afterwards for the other tests."""
    quiet = {name: logging.getLogger(name).level for name in logsetup.QUIET}
    root = logging.getLogger()
    level = root.level
    monkeypatch.setattr(logsetup, "_installed", None)
    logsetup.configure_logging("DEBUG", TOKEN)
    handler = logsetup._installed
    yield
    if handler is not None:
        root.removeHandler(handler)
    root.setLevel(level)
    for name, saved in quiet.items():
        logging.getLogger(name).setLevel(saved)


async def walk_everything(user: SimUser, txt: Texts) -> None:
    """Onboarding, /gezin (rename), /voorbereiden and fase 1 to 4, typing TYPED."""
    await onboard_user(user, txt, LABEL)
    walk = Walk(user, txt)

    await walk.step(user.send("/gezin"), "cases", "overview")
    await walk.press("cases", "overview", "rename", ("cases", "ask_rename"))
    overview = await walk.step(user.send(RENAMED), "cases", "overview")
    assert RENAMED in (overview.plain_text or "")

    await walk.step(user.send("/voorbereiden"), "voorbereiden", "why")
    await walk.press("voorbereiden", "why", "done", ("voorbereiden", "sentence"))
    await walk.step(user.send(OPENING), "voorbereiden", "join")
    await walk.press("voorbereiden", "join", "done", ("voorbereiden", "listen"))
    await walk.press("voorbereiden", "listen", "done", ("voorbereiden", "vulnerable"))
    await walk.press("voorbereiden", "vulnerable", "done", ("voorbereiden", "trust"))
    await walk.press("voorbereiden", "trust", "done", ("voorbereiden", "summary"))
    await walk.press("voorbereiden", "summary", "save", ("voorbereiden", "remind"))
    await walk.press("voorbereiden", "remind", "decline", ("voorbereiden", "saved"))

    await walk.open_phase("fase1", 1)
    await walk.step(user.send(WISH), "fase1", "join")
    await walk.press("fase1", "join", "accepted", ("fase1", "trust"))
    await walk.press("fase1", "trust", "later", ("fase1", "later"))

    await walk.open_phase("fase2", 2)
    await walk.step(user.send(f"{PERSON}, familie, dichtbij, {MEANING}"), "fase2", "decision")
    await walk.press("fase2", "decision", "consent", ("fase2", "hub"))
    await walk.step(user.send(OTHER), "fase2", "closeness")
    await walk.press("fase2", "closeness", "far", ("fase2", "decision"))
    await walk.press("fase2", "decision", "undecided", ("fase2", "hub"))
    await walk.press("fase2", "hub", "done", ("fase2", "done"))

    choose = await walk.open_phase("fase3", 3)
    [person] = [b for b in choose.flat_buttons if PERSON in b]
    await walk.step(user.press(person), "fase3", "goal")
    await walk.step(user.send(GOAL), "fase3", "until")
    await walk.step(user.send(UNTIL), "fase3", "tasks")
    tasks = f"ouder: {PARENT_TASK} oma: {PERSON_TASK}"
    await walk.step(user.send(tasks), "fase3", "follow_up")
    await walk.step(user.send("over twee weken"), "fase3", "choose")
    await walk.press("fase3", "choose", "done", ("menu", "main"))

    await walk.open_phase("fase4", 4)
    now, place, meaning, signal, who, how, expect, check_in = CLOSING
    await walk.step(user.send(now), "fase4", "place")
    await walk.step(user.send(place), "fase4", "meaning")
    await walk.step(user.send(meaning), "fase4", "signal")
    await walk.step(user.send(signal), "fase4", "who")
    await walk.step(user.send(who), "fase4", "how")
    await walk.step(user.send(how), "fase4", "expect")
    await walk.step(user.send(expect), "fase4", "expect")
    await walk.press("fase4", "expect", "next", ("fase4", "check_in"))
    await walk.step(user.send(check_in), "fase4", "check_in")
    await walk.press("fase4", "check_in", "finish", ("fase4", "remind"))
    summary = await walk.press("fase4", "remind", "accept", ("fase4", "done"))
    assert summary.text

    await walk.step(user.send("/herinneringen"), "herinneringen", "list")
    await walk.press("herinneringen", "list", "add", ("herinneringen", "for_case"))
    await walk.press("herinneringen", "for_case", "case", ("herinneringen", "about"))
    await walk.step(user.send(REMINDER), "herinneringen", "when")
    await walk.step(user.send("morgen 9:00"), "herinneringen", "list")


def leaks(text: str) -> list[str]:
    """Which typed texts, distinctive words or token parts occur in `text`."""
    folded = text.casefold()
    found = [typed for typed in (*TYPED, *WORDS) if typed.casefold() in folded]
    return found + [part for part in (TOKEN, SECRET) if part in text]


async def test_logs_of_a_walk_through_all_phases_hold_no_text_label_name_or_token(
    production_logging: None,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    stub: StubBotAPI,
    settings: Settings,
    txt: Texts,
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger and the capture, at their most verbose
    assert logging.getLogger().getEffectiveLevel() == logging.DEBUG

    async with bot_against(stub, settings):
        await walk_everything(stub.user(3001), txt)

    printed = capsys.readouterr()
    assert caplog.records, "nothing was logged: the capture is not working"
    assert "telegram bot ready" in caplog.text  # the bot's own INFO lines do get through
    assert not leaks(caplog.text), caplog.text
    assert not leaks(printed.err + printed.out), printed.err
    for record in caplog.records:  # also what a handler with another format would print
        details = f"{record.args!r} {record.exc_text or ''} {record.stack_info or ''}"
        assert not leaks(details), (record.name, record.levelname)
