"""Everything guards, actions, providers and views may use while one event is applied."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.engine.events import Attachment
from bot.i18n import Catalogs, Translator

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.engine.options import Option
    from bot.engine.spec import Flow, FlowSet
    from bot.store.models import Case, Conversation, Practitioner
    from bot.store.repo import Repo


@dataclass
class Turn:
    """One event being applied, inside one database transaction.

    `data` is the flow's answers so far (saved with the conversation); `flash` collects
    short lines, already translated, shown above the next step.
    """

    repo: Repo
    practitioner: Practitioner
    translator: Translator
    catalogs: Catalogs
    flows: FlowSet
    settings: Settings
    flow: Flow
    conversation: Conversation
    value: str | None = None
    option: Option | None = None
    flash: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    erased: bool = False
    """Set by `erase_practitioner`: the engine deletes the practitioner after the turn."""
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    """The engine's clock (injectable, so tests of reminder times move time, not sleep)."""
    _case: Case | None = None
    _case_loaded: bool = False

    @property
    def data(self) -> dict[str, Any]:
        return self.conversation.data

    @property
    def language(self) -> str:
        return self.practitioner.language

    def use_language(self, language: str) -> None:
        """Switch language mid-turn, so the answer is already in the new one."""
        self.practitioner.language = language
        self.translator = self.catalogs.get(language)

    def t(self, msgid: str) -> str:
        return self.translator.gettext(msgid)

    def now(self) -> datetime:
        """The current moment (UTC, aware), from the engine's clock."""
        return self.clock()

    async def active_case(self) -> Case | None:
        """The practitioner's active case, loaded once per turn."""
        if not self._case_loaded or (
            self._case is not None and self._case.id != self.practitioner.active_case_id
        ):
            self._case = await self.repo.case(self.practitioner, self.practitioner.active_case_id)
            self._case_loaded = True
        return self._case

    def forget_case(self) -> None:
        """Call after changing the active case, so the next read loads it again."""
        self._case, self._case_loaded = None, False

    def erase_practitioner(self) -> None:
        """Delete this practitioner with everything of theirs when the turn ends, in its
        transaction; the flash lines are the last thing they see."""
        self.erased = True

    def record(
        self,
        event: str,
        field_name: str | None = None,
        value: Any = None,
        case_id: int | None = None,
    ) -> None:
        """Append to the audit trail; the value is stored like all family data."""
        self.repo.audit(
            self.practitioner,
            event,
            case_id=case_id or self.conversation.case_id,
            flow=self.flow.id,
            field=field_name,
            value=value,
        )
