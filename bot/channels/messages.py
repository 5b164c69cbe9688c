"""What a channel itself says, beside the conversation: every channel's wording in one
place, so Telegram and Matrix say the same thing the same way."""

from __future__ import annotations

from bot.i18n import N_

FAILED = N_("Something went wrong on my side. Please try again in a moment.")
NOT_ENCRYPTED = N_(
    "Note: this chat is not end-to-end encrypted. For anything about a family, start a new "
    "direct chat with me with encryption on (Element does that by default)."
)
DIRECT_ONLY = N_(
    "I only work in a direct chat with one practitioner, so I am leaving this room. "
    "Start a direct chat with me instead."
)
UNREADABLE = N_("I could not decrypt that message. Please send it again.")
