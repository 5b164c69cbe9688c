"""The repository the engine, the actions and the jobs use; no SQL elsewhere.

`Repo` is one object per unit of work with the queries of every aggregate, each in its own
module: `practitioners`, `cases`, `conversations`, `people`, `agreements`, `audit`,
`access` (invites and revocations), `reminders` and `meta`. They share the session and what
it already loaded (`bot.store.queries`). Every query that touches a case takes the owner,
so a practitioner can only ever read or change their own cases: ownership is part of the
query, not a check someone may forget.
"""

from __future__ import annotations

from bot.store.access import AccessQueries
from bot.store.agreements import AgreementQueries
from bot.store.audit import AuditQueries
from bot.store.cases import CaseQueries
from bot.store.conversations import NO_SCOPE, ConversationQueries, case_scope
from bot.store.meta import MetaQueries
from bot.store.people import PeopleQueries
from bot.store.practitioners import PractitionerQueries
from bot.store.reminders import ReminderQueries

__all__ = ["NO_SCOPE", "Repo", "case_scope"]


class Repo(
    PractitionerQueries,
    CaseQueries,
    ConversationQueries,
    PeopleQueries,
    AgreementQueries,
    ReminderQueries,
    AuditQueries,
    AccessQueries,
    MetaQueries,
):
    """Queries for one unit of work; the caller owns the transaction."""
