"""The root of every error Netwerkcoach raises on purpose, and the kinds that many modules share.

`except NetwerkcoachError` catches what the project raises and nothing else, so a bug in a
library or in Python itself still surfaces as what it is. An error that belongs to one part
lives next to it and derives from one of these (`Reject` and `FlowError` in
`bot/engine/errors.py`, `WhenError` in `bot/reminders/when.py`, `DataKeyError` in
`bot/store/crypto.py`, ...). Where callers, tests or pydantic catch a built-in exception,
the error keeps it as a second base, so `except ValueError` still works.

This module imports nothing from the project, so any module can import it.
"""

from __future__ import annotations


class NetwerkcoachError(Exception):
    """Root of every error this project raises on purpose."""


class SettingError(NetwerkcoachError, ValueError):
    """A setting (environment or `.env`) is missing or wrong; the message names it and
    says what to do, and never quotes a secret. A ValueError, so pydantic validators can
    raise it and the command line's `except ValueError` answers it."""


class ArgumentError(NetwerkcoachError, ValueError):
    """A function was given a value it does not take (a naive datetime, a name registered
    twice, ...): a mistake in the calling code, not in what a practitioner typed."""


class StartupError(NetwerkcoachError, RuntimeError):
    """Something was used before it was started, or could not start (a server, a missing
    package, a migration file without a revision)."""
