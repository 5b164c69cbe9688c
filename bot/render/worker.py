"""Renders run in one worker process, away from the bot's event loop and its memory.

A picture or a PDF takes a few hundred milliseconds of CPU, and matplotlib, fpdf2 and the
fonts take more than 100 MB once loaded. In a process of their own they use the machine's
other core instead of the one every practitioner's turn runs on, and the bot process stays
small (`make bench` reports both). One worker: renders queue behind each other, which is
fine for a bot. It is started with `spawn`, not `fork`: the bot has threads and open
sockets that a forked child must not inherit. If the worker dies (out of memory, a crash in
a C library), the next render starts a new one; the bot itself carries on.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

log = logging.getLogger(__name__)


class _Worker:
    """The one render process, started when first needed and again after it died."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            spawn = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=spawn, initializer=_follow, initargs=(os.getpid(),)
            )
        return self._pool

    def died(self) -> None:
        self._pool = None

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


_worker = _Worker()


def _follow(parent: int) -> None:
    """In the worker: exit when the bot is gone. A bot killed with `kill -9` cannot stop
    its worker, and the worker would wait for work forever, holding the bot's log pipe."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="follow bot", daemon=True).start()


def _load() -> None:
    """Import the renderers and their fonts in the worker, so the first render is quick."""
    from bot.render import fonts, netmap, plan  # noqa: F401  (the import is the point)

    fonts.font_files()


async def off_loop(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run `func(*args, **kwargs)` in the render process and wait for it; once more in a
    new process if the worker died."""
    loop = asyncio.get_running_loop()
    call = partial(func, *args, **kwargs)
    try:
        return await loop.run_in_executor(_worker.pool(), call)
    except BrokenProcessPool:
        log.warning("render worker died; starting a new one")
        _worker.died()
        return await loop.run_in_executor(_worker.pool(), call)


async def warm_up() -> None:
    """Start the worker and load the renderers now rather than at the first /plan; a
    failure here is only logged (the first render tries again)."""
    try:
        await off_loop(_load)
    except Exception as exc:
        log.warning("render worker did not start: %s", type(exc).__name__)


def shut_down() -> None:
    """Stop the worker, waiting for a render in progress."""
    _worker.stop()
