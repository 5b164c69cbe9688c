"""Going through onboarding (welcome, privacy, the first family's label), the way most
tests begin: on the engine through a `Chat`, or over Telegram as a `SimUser`."""

from __future__ import annotations

from tests.support.chat import Chat
from tests.support.stub_bot_api import BotOutput, SimUser
from tests.support.telegram import Texts


async def onboard(chat: Chat, label: str = "Fam. K") -> None:
    """/start, Continue, Understood and `label`: the practitioner ends in the menu."""
    await chat.send("/start")
    await chat.press("Continue")
    await chat.press("Understood")
    await chat.text(label)
    assert (await chat.where()).flow == "menu"


async def at_label_step(
    user: SimUser,
    txt: Texts,
    language: str = "nl",
    *,
    first_reply_within: float = 5.0,
) -> BotOutput:
    """/start and two presses: the question for the first family's label. The first reply
    may take `first_reply_within` seconds (a bot process that is still starting)."""
    await user.send("/start")
    welcome = await user.reply(timeout=first_reply_within)
    assert txt.first_line("onboarding", "welcome", language) in welcome.text
    await user.press(txt.button("onboarding", "welcome", "next", language))
    await user.reply()
    await user.press(txt.button("onboarding", "privacy", "ok", language))
    ask = await user.reply()
    assert txt.first_line("onboarding", "first_case", language) in ask.text
    return ask


async def onboard_user(
    user: SimUser,
    txt: Texts,
    label: str = "Gezin A",
    language: str = "nl",
    *,
    first_reply_within: float = 5.0,
) -> BotOutput:
    """`at_label_step`, then `label`: the bot's answer, the menu."""
    await at_label_step(user, txt, language, first_reply_within=first_reply_within)
    await user.send(label)
    return await user.reply()
