"""The engine's exceptions: a small subclass of the project's root error per failure."""

from __future__ import annotations

from pathlib import Path

from bot.errors import NetwerkcoachError


class FlowError(NetwerkcoachError):
    """A flow file is wrong; the message names the file and line so an author can fix it."""

    def __init__(self, path: Path | str, line: int, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        super().__init__(f"{self.path}:{line}: {message}")


class FlowErrors(NetwerkcoachError):  # noqa: N818 - a list of FlowError
    """All problems found in one validation pass, so an author sees them at once."""

    def __init__(self, errors: list[FlowError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class Reject(NetwerkcoachError):  # noqa: N818 - it is a verdict, not a crash
    """An action refuses the practitioner's input; nothing of the turn is kept.

    `msgid` is an English message id that the engine translates and shows above the
    step, which stays where it was.
    """

    def __init__(self, msgid: str, **values: str) -> None:
        self.msgid = msgid
        self.values = values
        super().__init__(msgid)
