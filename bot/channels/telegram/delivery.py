"""Whether the update being handled may be given back to Telegram instead of answered.

With long polling an update, once fetched, is ours: if it cannot be applied the
practitioner is told to try again. With a webhook, Telegram delivers an update again until
it gets a 2xx answer, so an update that could not be applied (the database away, a bug) is
better answered with an error: it then comes back, to this replica or another, and is
applied once it can be. The webhook route opens a `Delivery` around each update; the
handlers, which run inside that call, mark it `failed` and send nothing.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class Delivery:
    """One webhook request's update."""

    failed: bool = False


CURRENT: ContextVar[Delivery | None] = ContextVar("telegram_delivery", default=None)


def give_back() -> bool:
    """Mark the current update for redelivery; False (keep going) under long polling."""
    delivery = CURRENT.get()
    if delivery is None:
        return False
    delivery.failed = True
    return True
