"""/export: everything the bot keeps about the practitioner, as one JSON document.

Their settings, every family (open and closed) with its people, agreements, answers in the
steps, reminders and audit trail, and their own audit entries and reminders without a
family. Dates are ISO 8601 in UTC. Internal
things that mean nothing outside the bot stay out: database ids, button sequence numbers,
the signing key, invites.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

from bot.config import Settings
from bot.engine.events import Attachment
from bot.engine.registry import registry
from bot.engine.turn import Turn
from bot.i18n import N_
from bot.i18n.fmt import local
from bot.reminders.when import clock_text
from bot.retention import deletion_of
from bot.store.models import AuditEntry, Conversation, Practitioner, Reminder, utcnow
from bot.store.repo import Repo

FORMAT = "netwerkcoach-export"
VERSION = 1

SENT = N_(
    "Here is the file with all your data. It holds notes about families: keep it safe, and "
    "delete it from this chat when you no longer need it."
)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _audit(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": iso(entry.at),
        "event": entry.event,
        "flow": entry.flow,
        "field": entry.field,
        "value": entry.value,
    }


def _reminder(reminder: Reminder) -> dict[str, Any]:
    return {
        "kind": reminder.kind,
        "about": reminder.about,
        "tip": reminder.tip_id,
        "due_at": iso(reminder.due_at),
        "status": reminder.status,
        "sent_at": iso(reminder.sent_at),
        "late": reminder.late,
        "created_at": iso(reminder.created_at),
    }


def _answers(conv: Conversation) -> dict[str, Any]:
    return {
        "flow": conv.flow,
        "step": conv.step,
        "status": conv.status,
        "answers": conv.data,
        "updated_at": iso(conv.updated_at),
    }


async def export_document(repo: Repo, p: Practitioner, settings: Settings) -> dict[str, Any]:
    """Everything of `p`, read through queries that all take `p` as the owner."""
    audit: defaultdict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for entry in await repo.audit_entries(p):
        audit[entry.case_id].append(_audit(entry))
    answers: defaultdict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for conv in await repo.conversations(p):
        answers[conv.case_id].append(_answers(conv))
    reminders: defaultdict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for reminder in await repo.reminders(p):
        reminders[reminder.case_id].append(_reminder(reminder))
    cases = []
    for case in await repo.cases(p, status=None):
        people = await repo.people(case)
        names = {person.id: person.name for person in people}
        closed = case.closed_at
        cases.append(
            {
                "label": case.label,
                "status": case.status,
                "active": case.id == p.active_case_id,
                "created_at": iso(case.created_at),
                "closed_at": iso(closed),
                "deleted_after": iso(await deletion_of(repo, case, settings)) if closed else None,
                "people": [
                    {
                        "name": person.name,
                        "group": person.group,
                        "closeness": person.closeness,
                        "meaning": person.meaning,
                        "decision": person.decision,
                        "approached_at": iso(person.approached_at),
                        "created_at": iso(person.created_at),
                    }
                    for person in people
                ],
                "agreements": [
                    {
                        "phase": agreement.phase,
                        "kind": agreement.kind,
                        "text": agreement.text,
                        "who": agreement.who,
                        "person": names.get(agreement.person_id or 0),
                        "due": agreement.due,
                        "status": agreement.status,
                        "created_at": iso(agreement.created_at),
                        "updated_at": iso(agreement.updated_at),
                    }
                    for agreement in await repo.agreements(case)
                ],
                "answers": answers[case.id],
                "reminders": reminders[case.id],
                "audit": audit[case.id],
            }
        )
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": iso(utcnow()),
        "practitioner": {
            "account": p.external_key,
            "language": p.language,
            "timezone": p.timezone,
            "quiet_hours": [clock_text(p.quiet_start), clock_text(p.quiet_end)],
            "settings": p.settings,
            "created_at": iso(p.created_at),
        },
        "cases": cases,
        "answers": answers[None],
        "reminders": reminders[None],
        "audit": audit[None],
    }


@registry.action("export_data")
async def export_data(turn: Turn) -> None:
    p = turn.practitioner
    document = await export_document(turn.repo, p, turn.settings)
    day = local(utcnow(), p.timezone).strftime("%Y%m%d")
    content = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    turn.attachments.append(
        Attachment(kind="document", filename=f"netwerkcoach-export-{day}.json", content=content)
    )
    turn.flash.append(turn.t(SENT))
