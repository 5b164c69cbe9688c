"""Bad input on Matrix gets the same care as on Telegram: an edit, a picture in a text
step, a reaction that is no choice, a very long message, HTML in what is typed. Each gets a
clear answer or is ignored, the step stays where it was, and nothing fails in the log."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import pytest

from bot.channels.plain import plain
from bot.channels.wording import CHOICE_WORDS
from bot.config import Settings
from bot.engine.messages import EDITED, TOO_LONG, UNSUPPORTED, USE_BUTTONS
from bot.engine.render import fill
from tests.matrix.conftest import MatrixBot, in_chat
from tests.support.element import ElementUser
from tests.support.telegram import texts

Bot = Callable[..., Awaitable[MatrixBot]]
User = Callable[..., Awaitable[ElementUser]]


async def test_edits_pictures_emoji_long_and_html_input_leave_the_step_as_it_was(
    matrix_bot: Bot, element: User, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot")
    txt = texts(settings)
    ask_label = plain(txt.first_line("onboarding", "first_case"))
    _bot, els = await in_chat(matrix_bot, element)
    await els.answer("!start")
    # Text where only a choice will do: said with choices, not with Telegram's buttons.
    use_choices = await els.answer("hallo")
    assert use_choices.body.startswith(plain(txt.t(CHOICE_WORDS[USE_BUTTONS])))
    await els.answer("1")
    question = await els.answer("1")
    assert ask_label in question.body
    assert "knop" not in question.body.lower()

    # An edit of an earlier message is not read again.
    typed = await els.say("Gezin X")
    await els.next_message()  # the answer to "Gezin X": the menu
    start = len(els.seen)
    edit = {
        "msgtype": "m.text",
        "body": "* Gezin Y",
        "m.new_content": {"msgtype": "m.text", "body": "Gezin Y"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": typed},
    }
    await els._send("m.room.message", edit, None)
    edited = await els.next_message(start)
    assert edited.body.startswith(plain(txt.t(EDITED)))

    # A picture where text is asked for.
    overview = await els.answer("!gezin")
    new = await els.answer(
        str(number_of_label(overview.body, txt.button("cases", "overview", "new")))
    )
    start = len(els.seen)
    picture = {"msgtype": "m.image", "body": "foto.jpg", "url": "mxc://localhost/abc"}
    await els._send("m.room.message", picture, None)
    answer = await els.next_message(start)
    assert answer.body.startswith(plain(txt.t(CHOICE_WORDS[UNSUPPORTED])))
    assert plain(txt.first_line("cases", "ask_label")) in answer.body
    assert new.body.split("\n")[0] in answer.body

    # A reaction that is no choice is just an emoji: no answer.
    start = len(els.seen)
    await els.react(answer.event_id, "👍")
    # A very long message is refused with the limit; the step stays.
    too_long = await els.answer("x" * 5000)
    assert len(els.seen) == start + 1  # the 👍 got nothing
    assert plain(fill(txt.t(TOO_LONG), {"max": "40"})) in too_long.body
    assert plain(txt.first_line("cases", "ask_label")) in too_long.body

    # HTML typed as a label is kept as text, shown escaped in the HTML and literally in
    # the plain body.
    done = await els.answer("<b>Fam</b> K")
    assert "<b>Fam</b> K" in done.body
    assert "&lt;b&gt;Fam&lt;/b&gt; K" in done.content["formatted_body"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def number_of_label(body: str, label: str) -> int:
    return next(
        int(line.split(". ", 1)[0])
        for line in body.splitlines()
        if line[:1].isdigit() and label in line
    )
