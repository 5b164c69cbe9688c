"""Messages the bot sends on its own initiative (reminders), not as an answer.

Jobs such as the retention job decide *what* to say and to whom; a channel decides *how* it
reaches the practitioner. The job knows no Telegram: it is handed a `Notifier`.
"""

from __future__ import annotations

from typing import Protocol

from bot.engine.events import Reply


class Notifier(Protocol):
    async def notify(self, practitioner_key: str, message: Reply) -> bool:
        """Send `message` (text with optional buttons) to the practitioner with this key.

        True when it was delivered; False when it cannot be, now or later (a key of another
        channel, a chat that blocked the bot). Raise for a passing failure (network,
        Telegram down) so that the caller can try again later.
        """
        ...


class ByChannel:
    """One `Notifier` for a process that runs several channels: a practitioner's key
    (`telegram:…`, `matrix:…`) names their channel, and that channel's notifier sends."""

    def __init__(self, notifiers: dict[str, Notifier]) -> None:
        self.notifiers = notifiers

    async def notify(self, practitioner_key: str, message: Reply) -> bool:
        notifier = self.notifiers.get(practitioner_key.partition(":")[0])
        return False if notifier is None else await notifier.notify(practitioner_key, message)
