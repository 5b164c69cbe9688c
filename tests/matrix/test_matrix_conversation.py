"""A practitioner on Element talks to the bot in an encrypted direct chat, over a real
Synapse: invite, onboarding with numbered choices and keycap taps, commands as `!name`
or the bare word, and the help text in the form that works on Matrix."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.channels.plain import plain
from bot.channels.wording import CHOICE_WORDS
from bot.config import Settings
from bot.engine.messages import STALE
from tests.matrix.conftest import MatrixBot, in_chat
from tests.support.element import ElementUser
from tests.support.telegram import Texts, texts

Bot = Callable[..., Awaitable[MatrixBot]]
User = Callable[..., Awaitable[ElementUser]]
KEYCAP_1 = "1️⃣"


async def test_an_encrypted_direct_chat_from_invite_to_the_menu(
    matrix_bot: Bot, element: User, settings: Settings
) -> None:
    txt = texts(settings)
    _bot, els = await in_chat(matrix_bot, element)

    welcome = await els.answer("!start")
    assert welcome.encrypted
    assert plain(txt.first_line("onboarding", "welcome")) in welcome.body
    # The one choice, numbered under the text, and as a keycap reaction to tap.
    assert welcome.body.endswith("\n\n1. " + txt.button("onboarding", "welcome", "next"))
    await els._until(lambda: (welcome.event_id, KEYCAP_1) in els.reactions, "the keycap")

    # One tap on the keycap presses the choice.
    start = len(els.seen)
    await els.react(welcome.event_id, KEYCAP_1)
    privacy = await els.next_message(start)
    assert plain(txt.first_line("onboarding", "privacy")) in privacy.body

    # Typing the start of the label presses it too.
    ok = txt.button("onboarding", "privacy", "ok")
    ask = await els.answer(ok[:4].lower())
    assert plain(txt.first_line("onboarding", "first_case")) in ask.body

    menu = await els.answer("Gezin A")
    assert plain(txt.first_line("menu", "main")) in menu.body
    assert "Gezin A" in menu.body
    assert "\n1. " in menu.body and "\n11. " in menu.body
    # Eleven choices: the numbers only, no row of keycaps under the message.
    assert not [key for event, key in els.reactions if event == menu.event_id]

    # The help names the commands as Matrix takes them: `!menu`, never `/menu`.
    # A number answers the current question: 1 under the help is its first choice, the
    # page with the commands.
    help_text = await els.answer("hulp")
    commands = await els.answer("1")
    assert commands.body != help_text.body
    assert "!menu" in commands.body and "!tips" in commands.body
    assert "/menu" not in commands.body


async def test_a_stale_keycap_gets_the_polite_answer_and_changes_nothing(
    matrix_bot: Bot, element: User, settings: Settings
) -> None:
    txt: Texts = texts(settings)
    _bot, els = await in_chat(matrix_bot, element)
    welcome = await els.answer("/start")  # a client that sends `/start` as text
    privacy = await els.answer("1")
    assert plain(txt.first_line("onboarding", "privacy")) in privacy.body

    start = len(els.seen)
    await els.react(welcome.event_id, KEYCAP_1)  # the welcome's keycap, one step late
    stale = await els.next_message(start)
    assert stale.body.startswith(plain(txt.t(CHOICE_WORDS[STALE])))  # choices, not buttons
    assert plain(txt.first_line("onboarding", "privacy")) in stale.body
    ask = await els.answer("1")
    assert plain(txt.first_line("onboarding", "first_case")) in ask.body
