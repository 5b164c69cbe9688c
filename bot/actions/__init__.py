"""The Python behind the names that flows use (`when:`, `run:`, `options: from:`, `views:`).

Importing this package registers everything in `bot.engine.registry.registry`, including
the handler of the reminders' own buttons (`bot.reminders.buttons`).
"""

from bot.actions import (  # noqa: F401
    agreements,
    approach,
    cases,
    export,
    forget,
    help,
    language,
    network,
    people,
    person_line,
    phase1,
    phase4,
    phases,
    plan,
    plan_family,
    preparation,
    privacy,
    reminders,
)
from bot.reminders import buttons as reminder_buttons  # noqa: F401
