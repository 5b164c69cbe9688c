"""Reminders: before a first meeting, after approaching someone, check-ins after closing.

The parts, each small:

- `when`: typed times ("morgen 9:00", "di 14:30") into UTC, the quick buttons, and a
  time in words ("dinsdag 3 december om 09:00").
- The queries live with the rest of the store, in `bot.store.reminders`: the
  practitioner's, on `bot.store.repo.Repo` (`repo.add_reminder(...)`), each scoped to the
  owner; and the installation-wide queries of the delivery job.
- `delivery`: `ReminderJob`, which claims due rows, sends them through a `Notifier` and
  marks them sent; quiet hours, back-off, late delivery after downtime.
- `message`: the reminder as the practitioner sees it, with its signed buttons.
- `buttons`: what one of those buttons does; registered with the interpreter by prefix.

Contract for the flows (names as agreed; additions are marked):

- Table `reminders` (`bot.store.models.Reminder`, migration `0004`); statuses
  (`bot.store.status.ReminderStatus`) `pending`, `sent`, `done`, `cancelled`, and (added)
  `failed` for a message the channel says can never be delivered (the practitioner
  blocked the bot).
- Quiet hours: `Practitioner.quiet_start` / `quiet_end`, minutes after local midnight
  (default 1260 = 21:00 and 480 = 08:00); equal values switch quiet hours off. Use
  `when.minutes_of("21:30")` / `when.clock_text(1290)` to convert, and
  `delivery.in_quiet_hours(moment, zone, start, end)` to test a moment.
- Repository (on `Repo`, every query scoped to the owner): `add_reminder`,
  `upcoming_reminders` (pending, soonest first, with the family's label), `reminder`,
  `move_reminder`, `snooze`, `cancel_reminder`, `done_reminder` (also writes
  `reminder.done` to the family's audit trail); the changing ones return None when the
  reminder is not the owner's or already done or cancelled. Added: `reminders(owner)` (all,
  for /export) and `last_open_due(case)` (retention keeps a closed family for its
  check-ins).
- "Open" makes the reminder's family active and enters `open_flow` as the engine enters any
  flow (a paused case flow resumes with its answers), then moves to `open_step` if that is
  a step of the flow and not an end step. The step must work with the conversation's data
  as it is at that moment.
- The clock of `bot.turns` (`Turns.clock`) is "now" for the buttons ("in 1 hour").
"""
