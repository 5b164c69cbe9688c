"""The render worker: renders run in another process, and a dead worker is replaced."""

from __future__ import annotations

import os
import signal

from bot.render.worker import off_loop, shut_down


async def test_renders_run_in_another_process_and_survive_its_death() -> None:
    try:
        worker = await off_loop(os.getpid)
        assert worker != os.getpid()

        os.kill(worker, signal.SIGKILL)
        # The render in hand when the worker died is run again in a new worker.
        replacement = await off_loop(os.getpid)
        assert replacement not in (worker, os.getpid())
    finally:
        shut_down()
