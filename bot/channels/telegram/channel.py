"""Handlers: each turns one kind of update into an event for `bot.turns` and sends the outcome.

Nothing here decides anything about the conversation; that is the interpreter's job. What
stays here is Telegram's own etiquette: answer every callback query, edit the message of
a pressed button in place, work only in private chats, never log what people wrote.
"""

from __future__ import annotations

import logging
import traceback

from telegram import Bot, Chat, InputFile, Message, Update, User
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot import metrics
from bot.access import telegram_id, telegram_key
from bot.channels.messages import FAILED
from bot.channels.telegram.delivery import give_back
from bot.channels.telegram.send import clear_keyboard, edit_reply, send_reply
from bot.engine.events import (
    Command,
    Event,
    Identity,
    Outcome,
    Press,
    Reply,
    Text,
    Unsupported,
)
from bot.errors import StartupError
from bot.i18n import N_, language_for
from bot.turns import Turns

log = logging.getLogger(__name__)

PRIVATE_ONLY = N_("I only work in a private chat. Please send me a direct message.")
KEYBOARDS_KEPT = 4096
"""Chats whose newest step message this process remembers, to take its buttons away once
a newer step is sent below it; the oldest are forgotten first."""

_KINDS = (
    "photo",
    "sticker",
    "voice",
    "video",
    "video_note",
    "audio",
    "document",
    "animation",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
    "game",
    "story",
)


def identity(user: User) -> Identity:
    return Identity(telegram_key(user.id), user.language_code)


def message_event(message: Message) -> Event:
    """Read a message as the engine sees it: a command, text, or something unreadable."""
    text = message.text
    if text is not None:
        if text.startswith("/"):
            head, _, arg = text[1:].partition(" ")
            name = head.split("@", 1)[0].lower()
            if name:
                return Command(name, arg.strip())
        return Text(text)
    kind = next((k for k in _KINDS if getattr(message, k, None)), "other")
    return Unsupported(kind)


class TelegramChannel:
    """Holds the turns; set `turns` before the application starts polling."""

    def __init__(self, turns: Turns | None = None) -> None:
        self.turns = turns
        self._keyboards: dict[int, int] = {}
        """Chat id → the message that shows the current step's buttons. Kept in memory
        only: after a restart, or on another replica, an older message may keep its
        buttons, which then answer with the short notice (see `on_button`)."""

    def _turns(self) -> Turns:
        if self.turns is None:
            raise StartupError("the turns are not started")
        return self.turns

    def _t(self, user: User | None, msgid: str) -> str:
        """In the practitioner's own language when known, else as Telegram reports it."""
        turns = self._turns()
        code = user.language_code if user else None
        language = turns.language_of(identity(user)) if user else language_for(code)
        return turns.catalogs.get(language).gettext(msgid)

    async def _private(self, update: Update) -> bool:
        """Groups get one polite line; nothing about them is stored."""
        chat = update.effective_chat
        if chat is not None and chat.type == ChatType.PRIVATE:
            return True
        if chat is not None and update.effective_message is not None:
            await chat.send_message(self._t(update.effective_user, PRIVATE_ONLY))
        if update.callback_query is not None:
            await update.callback_query.answer(self._t(update.effective_user, PRIVATE_ONLY))
        return False

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A message: a command, typed text, or something the bot cannot read."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or not await self._private(update):
            return
        outcome = await self._apply(update, user, message_event(message))
        if outcome is not None:
            await self._send(message.chat, outcome)

    async def on_edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An edited message: it is not read again (the original was already handled)."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or not await self._private(update):
            return
        outcome = await self._apply(update, user, Unsupported("edited"))
        if outcome is not None:
            await self._send(message.chat, outcome)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A pressed button: answered at once, and its message edited in place."""
        query, user = update.callback_query, update.effective_user
        if query is None or user is None or not await self._private(update):
            return
        outcome = await self._apply(update, user, Press(query.data or ""))
        if outcome is None:
            return
        try:
            await query.answer(outcome.notice)
        except TelegramError as err:
            # Only the spinner on the button; the reply below matters more. (An answer
            # retried after a timeout may find the query already answered: 400.)
            log.warning("could not answer a button press: %s", type(err).__name__)
        if outcome.stale and outcome.notice:
            return  # a double tap or an old button: the notice is the answer, the chat stays
        message = query.message
        if outcome.edit and isinstance(message, Message) and outcome.replies:
            _first, *rest = outcome.replies
            if await self._edit(message, outcome, 0):
                outcome = Outcome(tuple(rest), language=outcome.language)
        if isinstance(message, Message):
            await self._send(message.chat, outcome)
        elif update.effective_chat is not None:
            await self._send(update.effective_chat, outcome)

    async def _apply(self, update: Update, user: User, event: Event) -> Outcome | None:
        """The outcome of the turn, with the update's id so a redelivery is applied once;
        None when the update is given back to Telegram (webhook) instead of answered."""
        outcome = await self._turns().handle(identity(user), event, event_id=update.update_id)
        if outcome.duplicate:
            metrics.UPDATES_DUPLICATE.inc()
            log.info("update %d was applied before; nothing changed", update.update_id)
        if outcome.retry and give_back():
            metrics.UPDATES_RETRIED.inc()
            return None
        return outcome

    async def _edit(self, message: Message, outcome: Outcome, index: int) -> bool:
        reply = outcome.replies[index]
        try:
            await edit_reply(message.get_bot(), message.chat.id, message.message_id, reply)
        except BadRequest as err:
            # "not modified" means it already shows this; anything else (too old, deleted)
            # means: send it as a new message instead.
            if "not modified" not in str(err).lower():
                return False
        if reply.buttons:
            await self._now_current(message.get_bot(), message.chat.id, message.message_id)
        return True

    async def _now_current(self, bot: Bot, chat_id: int, message_id: int) -> None:
        """`message_id` shows the current step's buttons: the message that showed them
        before loses its own, which belong to a step that is gone (a tap on them would only
        get the notice). A message that cannot be changed any more is left as it is."""
        before = self._keyboards.pop(chat_id, None)
        self._keyboards[chat_id] = message_id
        if len(self._keyboards) > KEYBOARDS_KEPT:
            del self._keyboards[next(iter(self._keyboards))]
        if before is None or before == message_id:
            return
        try:
            await clear_keyboard(bot, chat_id, before)
        except TelegramError as err:  # too old, deleted, or already without buttons
            log.debug("kept the buttons of an older message: %s", type(err).__name__)

    async def _send(self, chat: Chat, outcome: Outcome) -> None:
        for attachment in outcome.attachments:
            file = InputFile(attachment.content, filename=attachment.filename)
            caption = attachment.caption or None
            if attachment.kind == "photo":
                await chat.send_photo(file, caption=caption, parse_mode=ParseMode.HTML)
            else:
                await chat.send_document(file, caption=caption, parse_mode=ParseMode.HTML)
        for reply in outcome.replies:
            sent = await send_reply(chat.get_bot(), chat.id, reply)
            if reply.buttons and sent is not None:
                await self._now_current(chat.get_bot(), chat.id, sent)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log where it failed, never what was written; tell the practitioner to retry.

        Exception messages can carry user text (a database error quotes its parameters),
        so only the exception type and the code locations are logged.
        """
        error = context.error
        frames = traceback.extract_tb(error.__traceback__) if error else []
        where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in frames[-6:])
        log.error("update failed: %s at %s", type(error).__name__, where)
        metrics.UPDATE_ERRORS.inc()
        if give_back():  # a webhook: Telegram delivers it again, no need to ask for that
            return
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        user = update.effective_user
        try:
            if update.callback_query is not None:
                await update.callback_query.answer()
            if update.effective_chat.type == ChatType.PRIVATE:
                await update.effective_chat.send_message(self._t(user, FAILED))
        except TelegramError as err:
            log.warning("could not tell the practitioner about a failure: %s", type(err).__name__)


class TelegramNotifier:
    """The Telegram channel's `Notifier`: messages the bot sends on its own (reminders),
    to the practitioner's private chat, whose id is their Telegram user id."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def notify(self, practitioner_key: str, message: Reply) -> bool:
        chat_id = telegram_id(practitioner_key)
        if chat_id is None:
            return False
        try:
            await send_reply(self.bot, chat_id, message)
        except (Forbidden, BadRequest) as err:  # blocked the bot, or the chat is gone
            log.warning("notification not delivered: %s", type(err).__name__)
            return False
        return True
