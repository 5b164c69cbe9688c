"""Renders run on one worker thread, away from the event loop.

A picture or a PDF takes a few hundred milliseconds of CPU. On the event loop that would
stall every other practitioner's turn for as long; on a thread the loop stays free. One
thread only: matplotlib's font objects are not safe to share between threads, and
renders queueing behind each other is fine for a bot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache, partial
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="render")


async def off_loop(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run `func(*args, **kwargs)` on the render thread and wait for it."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool(), partial(func, *args, **kwargs))
