"""Reminders in the conversation: one module per feature.

Parents asked that practitioners do not leave them and their network on their own, and keep
a finger on the pulse after the help ends. The bot keeps that promise with reminders; this
package is the conversation side of them (`bot/reminders/` stores and delivers them):

- `moment`: picking a moment (quick buttons or a typed day and time) and setting a
  reminder at it, said back in words;
- `meeting`: the reminder before a family's first meeting (/voorbereiden);
- `checkins`: the check-ins after closing (fase 4), proposed, changed and set;
- `manage`: /herinneringen, the list, and moving, cancelling or adding a reminder;
- `quiet_hours`: when reminders wait, and setting it.

Importing this package registers all of their names.
"""

from bot.actions.reminders import (  # noqa: F401
    checkins,
    manage,
    meeting,
    moment,
    quiet_hours,
)
