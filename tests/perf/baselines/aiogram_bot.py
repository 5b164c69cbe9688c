"""Baseline: the questionnaire as an aiogram 3 bot with its finite-state machine.

A `StatesGroup` with one `State` per question, one handler per state, `MemoryStorage`,
and the `Dispatcher`'s default of handling updates as concurrent tasks. No database, no
rate limiter.

    TELEGRAM_BOT_TOKEN=... TELEGRAM_API_BASE_URL=http://127.0.0.1:8081 \
    python -m tests.perf.baselines.aiogram_bot
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from tests.perf.baselines.questionnaire import QUESTIONS, THANKS, Question, callback_data

Questionnaire: Any = type(
    "Questionnaire", (StatesGroup,), {f"q{i}": State() for i in range(len(QUESTIONS))}
)
STATES: list[State] = [getattr(Questionnaire, f"q{i}") for i in range(len(QUESTIONS))]


def keyboard(index: int, question: Question) -> InlineKeyboardMarkup | None:
    if not question.options:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=label, callback_data=callback_data(index, n))
                for n, label in enumerate(question.options)
            ]
        ]
    )


async def start(message: Message, state: FSMContext) -> None:
    await state.set_state(STATES[0])
    await state.set_data({})
    await message.answer(QUESTIONS[0].text, reply_markup=keyboard(0, QUESTIONS[0]))


async def _advance(index: int, state: FSMContext, answer: str | None) -> Question | None:
    await state.update_data({f"q{index}": answer})
    if index + 1 < len(QUESTIONS):
        await state.set_state(STATES[index + 1])
        return QUESTIONS[index + 1]
    await state.clear()
    return None


def on_button(index: int) -> Callable[[CallbackQuery, FSMContext], Awaitable[None]]:
    async def handle(query: CallbackQuery, state: FSMContext) -> None:
        await query.answer()
        question = await _advance(index, state, query.data)
        assert isinstance(query.message, Message)
        if question is None:
            await query.message.edit_text(THANKS)
        else:
            await query.message.edit_text(question.text, reply_markup=keyboard(index + 1, question))

    return handle


def on_text(index: int) -> Callable[[Message, FSMContext], Awaitable[None]]:
    async def handle(message: Message, state: FSMContext) -> None:
        question = await _advance(index, state, message.text)
        if question is None:
            await message.answer(THANKS)
        else:
            await message.answer(question.text, reply_markup=keyboard(index + 1, question))

    return handle


def router() -> Router:
    r = Router()
    r.message.register(start, CommandStart())
    for index, question in enumerate(QUESTIONS):
        if question.options:
            r.callback_query.register(on_button(index), StateFilter(STATES[index]))
        else:
            r.message.register(on_text(index), StateFilter(STATES[index]), F.text)
    return r


async def main() -> None:
    base = os.environ["TELEGRAM_API_BASE_URL"].rstrip("/")
    session = AiohttpSession(api=TelegramAPIServer.from_base(base))
    bot = Bot(
        os.environ["TELEGRAM_BOT_TOKEN"],
        session=session,
        default=DefaultBotProperties(parse_mode="HTML"),
    )
    dispatcher = Dispatcher(storage=MemoryStorage())
    dispatcher.include_router(router())
    await dispatcher.start_polling(bot, allowed_updates=["message", "callback_query"])


if __name__ == "__main__":
    asyncio.run(main())
