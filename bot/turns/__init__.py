"""The unit of work above the flow interpreter: one incoming event, applied once.

Channels (Telegram, the console) translate what the practitioner did into an `Event` and
call `Turns.handle`; it passes the access gate, opens the transaction, claims the event's
id as its first statement, brings the last turn's rows, runs the interpreter
(`bot.engine`), commits, and only then hands back the `Outcome` to show.
"""

from bot.turns.service import Turns

__all__ = ["Turns"]
