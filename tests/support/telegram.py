"""Start the real bot (python-telegram-bot Application over HTTP) against the stub Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr
from telegram.ext import Application

from bot.channels.telegram.app import running_bot
from bot.channels.telegram.channel import TelegramChannel
from bot.config import Settings
from bot.engine.spec import FlowSet
from bot.i18n import Catalogs
from bot.runtime import load_content
from bot.turns import Turns
from tests.support.stub_bot_api import StubBotAPI

TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstuvwxyz012345"


def bot_settings(settings: Settings, stub: StubBotAPI) -> Settings:
    """The test settings, pointed at the stub; a fast chat rate keeps the suite quick."""
    return settings.model_copy(
        update={
            "telegram_bot_token": SecretStr(TOKEN),
            "telegram_api_base_url": stub.base_url.removesuffix("/bot"),
            "polling_timeout": 1,
            "rate_limit_chat": 50.0,
        }
    )


@dataclass
class Texts:
    """Expected texts, taken from the flows and catalogs rather than copied into tests."""

    flows: FlowSet
    catalogs: Catalogs

    def t(self, msgid: str, language: str = "nl") -> str:
        return self.catalogs.get(language).gettext(msgid)

    def say(self, flow: str, step: str, language: str = "nl") -> str:
        msgid = self.flows[flow].step(step).say
        assert msgid is not None
        return self.t(msgid, language)

    def first_line(self, flow: str, step: str, language: str = "nl") -> str:
        """Enough of a step's text to recognise it, without placeholders."""
        return self.say(flow, step, language).split("\n")[0].split("{")[0]

    def button(self, flow: str, step: str, button_id: str, language: str = "nl") -> str:
        button = next(b for b in self.flows[flow].step(step).buttons if b.id == button_id)
        return self.t(button.label, language)


_CONTENT: dict[tuple[Path, Path], tuple[FlowSet, Catalogs]] = {}


def content(settings: Settings) -> tuple[FlowSet, Catalogs]:
    """The flows and catalogs of `settings`' folders, checked as the bot checks them at
    start-up, and loaded once per test process (0.1 s each time; read-only data): the
    end-to-end tests start hundreds of bots on the same folders."""
    folders = (settings.flows_dir, settings.locales_dir)
    if folders not in _CONTENT:
        _CONTENT[folders] = load_content(settings)
    return _CONTENT[folders]


def texts(settings: Settings) -> Texts:
    return Texts(*content(settings))


@asynccontextmanager
async def bot_against(stub: StubBotAPI, settings: Settings) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    async with running_bot(bot_settings(settings, stub), content=content(settings)) as app:
        yield app


def engine_of(app: Application) -> Turns:  # type: ignore[type-arg]
    """The turns behind the running application (its handlers belong to the channel)."""
    for handlers in app.handlers.values():
        for handler in handlers:
            owner = getattr(handler.callback, "__self__", None)
            if isinstance(owner, TelegramChannel) and owner.turns is not None:
                return owner.turns
    raise LookupError("no TelegramChannel among the handlers")
