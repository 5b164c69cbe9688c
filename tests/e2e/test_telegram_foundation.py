"""The foundation through the real Telegram stack: onboarding, families, tips, language,
cancel, bad input and a restart in the middle of onboarding."""

from __future__ import annotations

import html

import pytest

from bot.actions import language
from bot.config import Settings
from bot.engine import messages as engine_messages
from tests.support.onboarding import at_label_step, onboard_user
from tests.support.stub_bot_api import StubBotAPI
from tests.support.telegram import Texts, bot_against, engine_of

pytestmark = pytest.mark.e2e


async def test_start_answers_in_dutch_and_registers_only_working_commands(
    running: StubBotAPI, txt: Texts
) -> None:
    user = running.user(1001, language_code="nl")
    await user.send("/start")
    welcome = await user.reply()
    assert welcome.method == "sendMessage"
    assert welcome.parse_mode == "HTML"
    assert txt.first_line("onboarding", "welcome") in welcome.text
    assert welcome.flat_buttons == [txt.button("onboarding", "welcome", "next")]

    dutch = {c["command"]: c["description"] for c in running.commands_for("")}
    english = {c["command"]: c["description"] for c in running.commands_for("en")}
    # Each list names the commands in its language; either name works in either language.
    assert set(dutch) == {"start", "annuleer"} | {f.command for f in txt.flows if f.command}
    assert set(english) == {"start", "cancel"} | {
        name for f in txt.flows if (name := f.command_in("en"))
    }
    assert dutch["gezin"] == txt.t(txt.flows["cases"].description or "")
    assert english["families"] == txt.flows["cases"].description


async def test_onboarding_edits_in_place_and_ends_in_the_menu(
    running: StubBotAPI, txt: Texts
) -> None:
    user = running.user(1002)
    await user.send("/start")
    welcome = await user.reply()
    await user.press(txt.button("onboarding", "welcome", "next"))
    privacy = await user.reply()
    assert privacy.method == "editMessageText"
    assert privacy.message_id == welcome.message_id
    assert txt.first_line("onboarding", "privacy") in privacy.text
    await user.press(txt.button("onboarding", "privacy", "ok"))
    ask = await user.reply()
    assert ask.method == "editMessageText"
    await user.send("Gezin <b>K</b> & co")
    menu = await user.reply()
    assert menu.method == "sendMessage"
    # HTML in a label is shown literally, never rendered
    assert "Gezin &lt;b&gt;K&lt;/b&gt; &amp; co" in menu.text
    assert "Gezin <b>K</b> & co" in (menu.plain_text or "")
    assert txt.button("menu", "main", "cases") in menu.flat_buttons
    assert len(user.callback_answers) == 2


async def test_families_create_switch_rename_close(running: StubBotAPI, txt: Texts) -> None:
    user = running.user(1003)
    await onboard_user(user, txt, "Gezin A")
    await user.send("/gezin")
    overview = await user.reply()
    assert "Gezin A" in overview.text
    await user.press(txt.button("cases", "overview", "new"))
    await user.reply()
    await user.send("Gezin B")
    menu = await user.reply()
    assert "<b>Gezin B</b>" in menu.text

    await user.send("/gezin")
    await user.reply()
    await user.press(txt.button("cases", "overview", "switch"))
    pick = await user.reply()
    assert pick.flat_buttons[0] == "Gezin A"
    assert "Gezin B" not in pick.flat_buttons
    await user.press("Gezin A")
    menu = await user.reply()
    assert "<b>Gezin A</b>" in menu.text

    await user.send("/gezin")
    await user.reply()
    await user.press(txt.button("cases", "overview", "rename"))
    await user.reply()
    await user.send("Gezin A2")
    overview = await user.reply()
    assert "Gezin A2" in overview.text

    await user.press(txt.button("cases", "overview", "close"))
    await user.reply()
    await user.press(txt.button("cases", "confirm_close", "close"))
    menu = await user.reply()
    assert "Gezin A2" in menu.text  # "closed" notice names it
    assert "<b>—</b>" in menu.text  # no active family any more


async def test_tips_flip_between_the_four_phases_without_a_case(
    running: StubBotAPI, txt: Texts
) -> None:
    user = running.user(1004)
    await user.send("/tips")
    card = await user.reply()
    shown: dict[int, str] = {}
    pages = ("phase1", "phase1b", "phase2", "phase3", "phase3b", "phase4")
    for page, after in zip(pages, [*pages[1:], None], strict=True):
        phase = int(page[5])
        shown[phase] = shown.get(phase, "") + (card.text or "")
        if after is not None:
            await user.press(txt.button("tips", page, "next"))
            card = await user.reply()
            assert card.method == "editMessageText"
    for tip_id, (_flow, tip) in txt.flows.tips().items():  # each phase's tips, in full
        assert tip.phase is not None
        assert html.escape(txt.t(tip.text), quote=False) in shown[tip.phase] or (
            txt.t(tip.text) in shown[tip.phase]
        ), tip_id


async def test_language_switch_to_english_is_remembered(running: StubBotAPI, txt: Texts) -> None:
    user = running.user(1005, language_code="nl")
    await user.send("/taal")
    await user.reply()
    await user.press("English")
    menu = await user.reply()
    assert language.CHANGED in menu.text  # the msgid is the English text
    await user.send("/hulp")
    help_text = await user.reply()
    assert "Netwerkcoach" in help_text.text
    assert txt.t("Menu", "en") in help_text.flat_buttons


async def test_english_telegram_user_gets_english(running: StubBotAPI, txt: Texts) -> None:
    user = running.user(1006, language_code="en-GB")
    await user.send("/start")
    welcome = await user.reply()
    assert txt.first_line("onboarding", "welcome", "en") in welcome.text


async def test_cancel_leaves_the_step_and_saves_nothing(running: StubBotAPI, txt: Texts) -> None:
    user = running.user(1007)
    await onboard_user(user, txt, "Gezin A")
    await user.send("/gezin")
    await user.reply()
    await user.press(txt.button("cases", "overview", "new"))
    await user.reply()
    await user.send("/annuleer")
    menu = await user.reply()
    assert txt.t(engine_messages.CANCELLED) in menu.text
    await user.send("Gezin Z")  # the label step is gone: this is not a label any more
    await user.reply()
    await user.send("/gezin")
    overview = await user.reply()
    assert "Gezin Z" not in overview.text


@pytest.mark.parametrize("kind", ["photo", "sticker", "voice", "location", "contact", "document"])
async def test_non_text_where_text_is_expected_keeps_the_step(
    running: StubBotAPI, txt: Texts, kind: str
) -> None:
    user = running.user(1100)
    await user.send("/start")
    await user.reply()
    await user.press(txt.button("onboarding", "welcome", "next"))
    await user.reply()
    await user.press(txt.button("onboarding", "privacy", "ok"))
    await user.reply()
    send = {
        "photo": user.send_photo,
        "sticker": user.send_sticker,
        "voice": user.send_voice,
        "location": lambda: user.send_location(53.2, 6.56),
        "contact": lambda: user.send_contact("+31600000000", "Oma"),
        "document": lambda: user.send_document("plan.pdf", "application/pdf", None),
    }[kind]
    await send()
    answer = await user.reply()
    assert txt.t(engine_messages.UNSUPPORTED) in answer.text
    assert txt.first_line("onboarding", "first_case") in answer.text
    await user.send("Gezin B")
    menu = await user.reply()
    assert "Gezin B" in menu.text


async def test_bad_labels_are_refused_with_the_step_kept(running: StubBotAPI, txt: Texts) -> None:
    user = running.user(1101)
    await user.send("/start")
    await user.reply()
    await user.press(txt.button("onboarding", "welcome", "next"))
    await user.reply()
    await user.press(txt.button("onboarding", "privacy", "ok"))
    await user.reply()

    await user.send("x" * 4096)
    too_long = await user.reply()
    assert txt.t(engine_messages.TOO_LONG).split("{")[0] in too_long.text
    await user.send("   \u200b  ")
    empty = await user.reply()
    assert txt.t(engine_messages.EMPTY) in empty.text
    await user.send("/onbekend")
    unknown = await user.reply()
    assert txt.t(engine_messages.UNKNOWN_COMMAND) in unknown.text
    assert txt.first_line("onboarding", "first_case") in unknown.text
    await user.send("Gezin B")
    assert "Gezin B" in (await user.reply()).text


async def test_stale_double_and_forged_buttons_change_nothing(
    running: StubBotAPI, txt: Texts
) -> None:
    user = running.user(1102)
    await user.send("/start")
    welcome = await user.reply()
    label = txt.button("onboarding", "welcome", "next")
    data = welcome.callback_data[0][0]
    await user.press(label)
    await user.reply()
    # The same button again (a double tap, or an old message): stale, nothing changes,
    # and the chat stays as it is: the press gets a short notice, no copy of the step.
    shown = user.messages[welcome.message_id].text
    await user.press_data(data, welcome.message_id)
    await running.wait_confirmed()
    assert user.callback_answers[-1].get("text") == txt.t(engine_messages.STALE_NOTICE)
    assert user.drain() == []
    assert user.messages[welcome.message_id].text == shown
    assert txt.first_line("onboarding", "privacy") in (shown or "")
    # Forged data: refused, answered, nothing changes.
    await user.press_data("0:b:next|AAAAAAAA", welcome.message_id)
    await running.wait_confirmed()
    assert user.callback_answers[-1].get("text") == txt.t(engine_messages.UNKNOWN_BUTTON)
    assert user.drain() == []
    # A validly signed button of another practitioner is refused just the same.
    other = running.user(1103)
    await other.send("/start")
    others = await other.reply()
    await user.press_data(others.callback_data[0][0], welcome.message_id)
    await running.wait_confirmed()
    assert user.callback_answers[-1].get("text") == txt.t(engine_messages.UNKNOWN_BUTTON)
    assert user.drain() == []
    assert user.messages[welcome.message_id].text == shown


async def test_group_chats_get_one_polite_refusal(running: StubBotAPI, txt: Texts) -> None:
    member = running.group_user(1200)
    await member.send("/start")
    answer = await member.reply()
    from bot.channels.telegram.channel import PRIVATE_ONLY

    assert answer.text == txt.t(PRIVATE_ONLY)


async def test_edited_message_is_not_read_again(running: StubBotAPI, txt: Texts) -> None:
    user = running.user(1201)
    await onboard_user(user, txt, "Gezin E")
    message_id = await user.send("/tips")
    await user.reply()
    await user.edit(message_id, "/gezin")
    answer = await user.reply()
    assert txt.t(engine_messages.EDITED) in answer.text


async def test_flood_control_is_honoured_and_the_reply_arrives_once(
    running: StubBotAPI, txt: Texts
) -> None:
    user = running.user(1202)
    running.fail_next("sendMessage", status=429, retry_after=1)
    await user.send("/tips")
    card = await user.reply()
    assert txt.say("tips", "phase1") in card.text
    assert len([c for c in running.calls_for("sendMessage") if c["chat_id"] == 1202]) == 1
    assert running.faulted


async def test_restart_mid_onboarding_resumes_at_the_same_step(
    stub: StubBotAPI, settings: Settings, txt: Texts
) -> None:
    user = stub.user(1300)
    async with bot_against(stub, settings):
        await user.send("/start")
        await user.reply()
        await user.press(txt.button("onboarding", "welcome", "next"))
        await user.reply()
        await user.press(txt.button("onboarding", "privacy", "ok"))
        ask = await user.reply()
        assert txt.first_line("onboarding", "first_case") in ask.text
    async with bot_against(stub, settings):
        await user.send("Gezin R")
        menu = await user.reply()
        assert "Gezin R" in menu.text
        assert txt.button("menu", "main", "cases") in menu.flat_buttons


async def test_a_failure_is_answered_in_the_practitioners_language_and_logged_without_content(
    stub: StubBotAPI, settings: Settings, txt: Texts, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.channels.telegram.channel import FAILED

    user = stub.user(1400, language_code="nl")
    async with bot_against(stub, settings) as app:
        await user.send("/taal")
        await user.reply()
        await user.press("English")
        await user.reply()
        engine = engine_of(app)

        async def broken(*_args: object, **_kwargs: object) -> None:
            raise RuntimeError("Gezin Geheim, Dorpsstraat 1")

        original = engine.handle
        engine.handle = broken
        try:
            await user.send("Gezin Geheim")
            answer = await user.reply()
        finally:
            engine.handle = original
    assert answer.text == txt.t(FAILED, "en")
    assert "Geheim" not in caplog.text
    assert "RuntimeError" in caplog.text


async def test_an_older_step_loses_its_buttons_once_a_newer_one_is_sent_below(
    running: StubBotAPI, txt: Texts
) -> None:
    """Buttons stay only on the message of the current step: a step sent as a new message
    (after typed text or a command) takes them away from the one before it, so an old
    message cannot be tapped by mistake."""
    user = running.user(1104)
    ask = await at_label_step(user, txt)
    assert user.messages[ask.message_id].has_inline_keyboard
    await user.send("Gezin A")
    menu = await user.reply()
    assert menu.message_id != ask.message_id and user.messages[menu.message_id].has_inline_keyboard
    await running.wait_confirmed()
    assert not user.messages[ask.message_id].has_inline_keyboard
    assert user.messages[ask.message_id].text == ask.text  # the words stay as they were

    await user.send("/tips")
    tips = await user.reply()
    await running.wait_confirmed()
    assert not user.messages[menu.message_id].has_inline_keyboard
    assert user.messages[tips.message_id].has_inline_keyboard
    assert [m.message_id for m in user.messages.values() if m.has_inline_keyboard] == [
        tips.message_id
    ]
