"""Prometheus metrics of this process, served on `/metrics` (`bot/channels/telegram/http.py`).

Defined here, in one place, so every part counts into the same registry without knowing
who serves it: the Telegram channel (updates, latency, errors), the reminder job
(`REMINDERS_DUE`, `REMINDERS_SENT`, `REMINDER_UNMARKED_SECONDS`). Only counts and
durations: no ids, no text.
Each replica reports its own; Prometheus adds them up.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

UPDATES_HANDLED = Counter(
    "netwerkcoach_updates_handled",
    "Telegram updates handled (applied, or recognised as redelivered)",
)
UPDATES_DUPLICATE = Counter(
    "netwerkcoach_updates_duplicate", "Updates applied before (redelivered): nothing changed"
)
UPDATE_ERRORS = Counter("netwerkcoach_update_errors", "Updates whose handling failed")
UPDATES_RETRIED = Counter(
    "netwerkcoach_updates_given_back",
    "Webhook updates answered with an error so that Telegram delivers them again",
)
UPDATES_IN_HAND = Gauge(
    "netwerkcoach_updates_in_hand",
    "Long polling: updates fetched and not yet done, so not yet confirmed to Telegram; at "
    "100 Telegram hands out nothing new until the oldest is done",
)
UPDATE_SECONDS = Histogram(
    "netwerkcoach_update_seconds",
    "Seconds from taking an update to having answered it (waiting for the practitioner's "
    "earlier updates included)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
WEBHOOK_REFUSED = Counter(
    "netwerkcoach_webhook_refused",
    "Webhook requests refused, by reason (secret, stopping, too_large, not_utf8, not_json, "
    "not_an_update)",
    ["reason"],
)
REMINDERS_DUE = Gauge(
    "netwerkcoach_reminders_due", "Reminders due and not yet sent, as last seen by this process"
)
REMINDERS_SENT = Counter("netwerkcoach_reminders_sent", "Reminders sent by this process")
REMINDER_UNMARKED_SECONDS = Histogram(
    "netwerkcoach_reminder_unmarked_seconds",
    "Seconds from Telegram accepting a reminder to its being recorded as sent: a crash in "
    "between sends it again",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0, 5.0),
)
