"""What the interpreter says about an event it cannot use as it came (msgids)."""

from __future__ import annotations

from bot.i18n import N_

STALE = N_("That button belongs to an earlier step. This is where you are now:")
STALE_NOTICE = N_("That button belongs to an earlier step.")
UNKNOWN_BUTTON = N_("That button no longer works. Nothing was changed.")
UNKNOWN_COMMAND = N_("I don't know that command. Send /hulp for the list, or use the buttons.")
USE_BUTTONS = N_("Please choose one of the buttons below.")
UNSUPPORTED = N_("I can only read text and buttons, so I did not keep that.")
EDITED = N_("I don't read edited messages. Please send the corrected text as a new message.")
TOO_LONG = N_("That is too long: at most {max} characters. Please try a shorter text.")
TOO_SHORT = N_("Please type at least {min} characters.")
EMPTY = N_("I did not get any text. Please type an answer.")
INVALID = N_("That does not look right. Please try again.")
CANCELLED = N_("Stopped. Nothing of that step was saved.")
NEEDS_CASE = N_("This works per family. First choose or add a family.")
NOTHING_TO_CANCEL = N_("There was nothing to stop.")
INTRODUCTION_FIRST = N_("First a short introduction, then on to “{title}”.")
"""Above onboarding, for a case flow's command sent before it (see `Interpreter`)."""
KEPT = N_("Your earlier answer stays: “{value}”")
"""Above the next step, when a step that keeps an answer is skipped or kept as it was."""
