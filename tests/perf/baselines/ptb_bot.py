"""Baseline: the questionnaire as a plain python-telegram-bot v22 bot would do it.

What a developer builds by default: a `ConversationHandler` with one state per question,
`PicklePersistence` for the answers and the conversation state, and the `Application`'s
default of applying one update at a time. No database, no rate limiter.

    TELEGRAM_BOT_TOKEN=... TELEGRAM_API_BASE_URL=http://127.0.0.1:8081 \
    BENCH_PICKLE=/tmp/q.pickle python -m tests.perf.baselines.ptb_bot
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    PicklePersistence,
    filters,
)
from telegram.warnings import PTBUserWarning

from tests.perf.baselines.questionnaire import QUESTIONS, THANKS, Question, callback_data

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[int]]


def keyboard(index: int, question: Question) -> InlineKeyboardMarkup | None:
    if not question.options:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label, callback_data=callback_data(index, n))
                for n, label in enumerate(question.options)
            ]
        ]
    )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.effective_message is not None and context.user_data is not None
    context.user_data["answers"] = {}
    first = QUESTIONS[0]
    await update.effective_message.reply_text(
        first.text, parse_mode=ParseMode.HTML, reply_markup=keyboard(0, first)
    )
    return 0


def _next(index: int) -> int:
    return index + 1 if index + 1 < len(QUESTIONS) else ConversationHandler.END


def on_button(index: int) -> Handler:
    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        query = update.callback_query
        assert query is not None and context.user_data is not None
        await query.answer()
        context.user_data.setdefault("answers", {})[index] = query.data
        following = _next(index)
        if following == ConversationHandler.END:
            await query.edit_message_text(THANKS, parse_mode=ParseMode.HTML)
        else:
            question = QUESTIONS[following]
            await query.edit_message_text(
                question.text,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(following, question),
            )
        return following

    return handle


def on_text(index: int) -> Handler:
    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        message = update.effective_message
        assert message is not None and context.user_data is not None
        context.user_data.setdefault("answers", {})[index] = message.text
        following = _next(index)
        if following == ConversationHandler.END:
            await message.reply_text(THANKS, parse_mode=ParseMode.HTML)
        else:
            question = QUESTIONS[following]
            await message.reply_text(
                question.text,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(following, question),
            )
        return following

    return handle


def build(token: str, base_url: str, pickle_path: str) -> Application:  # type: ignore[type-arg]
    states: dict[object, list[BaseHandler[Update, Any, Any]]] = {}
    for index, question in enumerate(QUESTIONS):
        if question.options:
            states[index] = [CallbackQueryHandler(on_button(index), pattern=rf"^q{index}:")]
        else:
            states[index] = [MessageHandler(filters.TEXT & ~filters.COMMAND, on_text(index))]
    with warnings.catch_warnings():
        # per_message=False with CallbackQueryHandlers is the usual set-up; PTB warns.
        warnings.simplefilter("ignore", PTBUserWarning)
        conversation = ConversationHandler(
            entry_points=[CommandHandler("start", start)],
            states=states,
            fallbacks=[CommandHandler("start", start)],
            name="questionnaire",
            persistent=True,
            allow_reentry=True,
        )
    base = base_url.rstrip("/")
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{base}/bot")
        .persistence(PicklePersistence(filepath=pickle_path))
        .build()
    )
    app.add_handler(conversation)
    return app


def main() -> None:
    app = build(
        os.environ["TELEGRAM_BOT_TOKEN"],
        os.environ["TELEGRAM_API_BASE_URL"],
        os.environ.get("BENCH_PICKLE", "questionnaire.pickle"),
    )
    app.run_polling(allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY])


if __name__ == "__main__":
    main()
