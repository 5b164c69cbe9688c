"""Commands in Dutch and English: each flow's command has a name per language, either
works in either language, and lists and help texts show the practitioner's own."""

from __future__ import annotations

from bot.actions.help import CANCEL_HELP
from bot.channels.telegram.app import bot_commands
from bot.engine.events import Identity
from bot.turns import Turns
from tests.support.chat import Chat
from tests.support.onboarding import onboard

ENGLISH = ("help", "language", "prepare", "phase", "agreements", "network", "plan")
ENGLISH += ("reminders", "families", "forget", "networkmap", "menu", "tips", "cancel")
DUTCH = ("hulp", "taal", "voorbereiden", "fase", "afspraken", "netwerk", "herinneringen")
DUTCH += ("gezin", "vergeet", "netwerkkaart", "annuleer")


async def test_either_name_works_in_either_language(engine: Turns) -> None:
    english = Chat(engine, Identity("test:emma", "en"))
    dutch = Chat(engine, Identity("test:eva", "nl"))
    await onboard(english, "Family K")
    await onboard(dutch)
    for chat in (english, dutch):
        for a, b in (("help", "hulp"), ("prepare", "voorbereiden"), ("families", "gezin")):
            first = (await chat.command(a)).replies[-1].text
            second = (await chat.command(b)).replies[-1].text
            # The same step; its tips, seen in full once for this family, are short now.
            assert first.split("💡")[0] == second.split("💡")[0]
            assert (await chat.where()).flow != "menu" or a == "menu"


async def command_list(chat: Chat, command: str) -> str:
    """The command list of /hulp: its two pages after the first, about the bot."""
    await chat.command(command)
    await chat.press("Commands ›")
    first = chat.last.text
    await chat.press("More ›")
    return f"{first}\n{chat.last.text}"


async def test_help_lists_the_commands_in_the_practitioners_language(engine: Turns) -> None:
    english = Chat(engine, Identity("test:emma", "en"))
    await onboard(english, "Family K")
    shown = await command_list(english, "help")
    for name in ("help", "prepare", "agreements", "reminders", "forget", "cancel"):
        assert f"/{name} – " in shown, name
    assert english.t(CANCEL_HELP) in shown
    for name in DUTCH:
        assert f"/{name} " not in shown, name

    dutch = Chat(engine, Identity("test:eva", "nl"))
    await onboard(dutch)
    shown = await command_list(dutch, "hulp")
    assert "/hulp – " in shown and "/annuleer – " in shown and "/help " not in shown
    for page in (shown, await command_list(english, "help")):  # every line alike
        for line in page.splitlines():
            if line.startswith("/") and " – " in line:
                what = line.split(" – ", 1)[1]
                assert what[:1].isupper(), line


def test_telegram_gets_a_command_list_per_language(engine: Turns) -> None:
    english = [c.command for c in bot_commands(engine.flows, engine.catalogs, "en")]
    dutch = [c.command for c in bot_commands(engine.flows, engine.catalogs, "nl")]
    assert set(ENGLISH) <= set(english) and not set(DUTCH) & set(english)
    assert set(DUTCH) <= set(dutch) and "help" not in dutch
    assert english[0] == dutch[0] == "start"
    assert len(english) == len(dutch)
