"""One sync's events, read as the engine's events, applied through `bot.turns`, answered.

Nothing here decides anything about the conversation. What stays here is Matrix's own
etiquette: join a direct chat an admitted practitioner invites the bot to and decline the
rest, leave a room with more than two members, say once that a chat is unencrypted,
number the choices and react with keycaps, and never log what people wrote.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import time
import traceback
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import replace
from typing import Any, Protocol

from nio import (
    AsyncClient,
    BadEvent,
    InviteMemberEvent,
    MegolmEvent,
    ReactionEvent,
    RoomMessage,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
    UploadResponse,
)
from nio.rooms import MatrixRoom

from bot.access import matrix_key
from bot.channels.choices import flatten
from bot.channels.matrix.events import event_number, text_event, unreadable
from bot.channels.matrix.render import KEYCAPS, keycap_number, message_content, notice_content
from bot.channels.messages import DIRECT_ONLY, FAILED, NOT_ENCRYPTED, UNREADABLE
from bot.channels.plain import plain
from bot.channels.wording import Wording
from bot.engine.events import (
    Attachment,
    Event,
    Identity,
    Outcome,
    Press,
    Reply,
    ReplyButton,
    Unsupported,
)
from bot.errors import NetwerkcoachError
from bot.store import matrix as rooms
from bot.turns import Turns

log = logging.getLogger(__name__)

DIRECT = 2
"""Members of a direct chat: the practitioner and the bot."""
QUIET_WAIT = 0.25
"""Seconds a keycap waits at most for the replies on their way to be posted."""
KEYCAP_TIMEOUT = 10.0
"""Seconds the channel's next keycaps wait for one the homeserver has not taken yet (it is
not called back: that could leave matrix-nio's room key sharing half done)."""
KEYCAP_FRESH = 5.0
"""Seconds after its question was asked within which a keycap may still start: later ones
are left out (by then the practitioner reads or types), so the queue of keycaps, and the
sync position waiting for it, never runs far behind."""
KEYCAP_PAUSE = 1.0
"""Seconds a pause after a keycap lasts at most."""
_KEYCAPS: ContextVar[list[asyncio.Task[None]] | None] = ContextVar("keycaps", default=None)
"""The keycap tasks a room's events left (`MatrixChannel._after`), for the sync position.
Set (to a list) only in a task applying a sync's events, and inherited by the tasks it
starts: `remember` reads it as "inside a sync"."""


class SendError(NetwerkcoachError):
    """The homeserver refused a message (the error type is logged, never the content)."""


def identity(user_id: str) -> Identity:
    """Matrix reports no language: a new practitioner starts in the default language."""
    return Identity(matrix_key(user_id))


def inviter(invite_state: Sequence[Any], me: str) -> str | None:
    """Who invited the bot, from the invite's stripped state."""
    for event in invite_state:
        if (
            isinstance(event, InviteMemberEvent)
            and event.state_key == me
            and event.membership == "invite"
        ):
            return str(event.sender)
    return None


def is_edit(event: RoomMessage | BadEvent) -> bool:
    relates = event.source.get("content", {}).get("m.relates_to") or {}
    return bool(relates.get("rel_type") == "m.replace")


class MatrixChannel:
    """Reads what one sync delivered and answers it; `commands` are the names `!name` and
    the bare word may stand for (every command in every language)."""

    def __init__(self, client: AsyncClient, turns: Turns) -> None:
        self.client = client
        self.turns = turns
        self.commands = turns.flows.command_names()
        self.wording = Wording(turns.catalogs)
        self._rooms: dict[str, rooms.Room | None] = {}
        """The rooms' rows as last read or written. Only the process holding the sync
        lease writes them, and it makes a new channel on each take-over, so this copy
        stays true: it spares a read before and a write after most turns (`make bench`)."""
        self._unsaved: dict[str, rooms.Room] = {}
        """Rooms whose question was asked while applying a sync's events: stored with that
        sync's position (`keep_position`), in one transaction, rather than each alone.
        A crash before that leaves the position before those events too: they come again
        and their answers (the same transaction ids: not posted twice) ask the current
        step's question again."""
        self._room_writes = asyncio.Lock()
        """Questions stored one write at a time, so an older one never lands last."""
        self._latest: dict[str, str] = {}
        """Per practitioner, the room recorded as the one they wrote from last."""
        self._chains: dict[str, asyncio.Task[list[asyncio.Task[None]]]] = {}
        """Per room, the last of its syncs' events being applied (`dispatch`)."""
        self._keycaps = asyncio.Lock()
        """One question's keycaps at a time for the whole channel, in the order asked
        (the lock is first come, first served): at most one reaction is ever waiting at
        the homeserver, so a busy hour's keycaps queue here, where an answered question's
        are dropped, and not at the homeserver in front of other practitioners' replies."""
        self._replying = 0
        self._quiet = asyncio.Event()
        self._quiet.set()
        """Set while no reply is on its way to the homeserver: keycaps wait for it."""
        self._background: set[asyncio.Future[Any]] = set()

    async def known(self, room_id: str) -> rooms.Room | None:
        """The room as this process holds it, read once. Two turns may read an unknown room
        at once: the first to finish is kept, so a question asked meanwhile is not undone."""
        if room_id not in self._rooms:
            read = await rooms.room(self.turns.sessions, room_id)
            return self._rooms.setdefault(room_id, read)
        return self._rooms[room_id]

    async def seen(self, room_id: str, key: str) -> rooms.Room:
        """The room as `key`'s chat, written only when that changes what is stored."""
        known = await self.known(room_id)
        if known is not None and known.practitioner_key == key and self._latest.get(key) == room_id:
            return known
        known = self._with_questions(await rooms.seen(self.turns.sessions, room_id, key))
        self._rooms[room_id] = known
        self._latest[key] = room_id
        return known

    def _with_questions(self, stored: rooms.Room) -> rooms.Room:
        """A room as just read and written, with the questions as this process holds them
        (the newest may not be stored yet)."""
        held = self._rooms.get(stored.room_id)
        if held is None:
            return stored
        return replace(stored, question=held.question, questions=held.questions)

    async def forget(self, room_id: str) -> None:
        await rooms.forget_room(self.turns.sessions, room_id)
        self._rooms[room_id] = None
        self._unsaved.pop(room_id, None)

    def forget_practitioner(self, key: str) -> None:
        """After /vergeet the store deleted their rooms' rows itself."""
        self._latest.pop(key, None)
        for room_id, known in list(self._rooms.items()):
            if known is not None and known.practitioner_key == key:
                self._rooms[room_id] = None
                self._unsaved.pop(room_id, None)

    async def keep_position(self, key: str, lease: tuple[str, str], position: str) -> None:
        """Store the sync position (`meta` row `key`) and, in the same transaction, the
        questions asked since the last one, while `lease` is still held: once the position
        is past an event, what its answer asked is stored as well."""
        async with self._room_writes:
            unsaved = dict(self._unsaved)
            await rooms.keep_position(self.turns.sessions, key, position, unsaved.values(), lease)
            self._saved(unsaved)

    def _saved(self, stored: dict[str, rooms.Room]) -> None:
        """Forget what is stored now, unless asked again meanwhile."""
        for room_id, room in stored.items():
            if self._unsaved.get(room_id) is room:
                del self._unsaved[room_id]

    # --- one sync ------------------------------------------------------------------------

    def dispatch(self, response: SyncResponse) -> asyncio.Future[list[Any]]:
        """Start applying every room's new events of one sync: rooms side by side, each
        room's events in order and after that room's events of earlier syncs. Returns at
        once, with a future that is done when all of this sync's events are applied and
        answered, keycaps included, so the caller may then move the sync position past
        them, and meanwhile already sync again: a message in one room never waits for
        another room's answers, nor for the homeserver to hand out the next batch."""
        return asyncio.gather(
            *(
                self._answered(self._chained(room_id, info.timeline.events))
                for room_id, info in response.rooms.join.items()
            ),
            return_exceptions=True,  # cancelled at a stop: nothing to report
        )

    def _chained(
        self, room_id: str, events: Sequence[Any]
    ) -> asyncio.Task[list[asyncio.Task[None]]]:
        previous = self._chains.get(room_id)
        task = asyncio.create_task(self._after(previous, room_id, events), name="matrix-room")
        self._chains[room_id] = task
        task.add_done_callback(lambda done: self._unchain(room_id, done))
        return task

    async def _after(
        self, previous: asyncio.Task[Any] | None, room_id: str, events: Sequence[Any]
    ) -> list[asyncio.Task[None]]:
        """The room's events, once its earlier ones are done; returns the keycaps they
        left to send (the room's next events need not wait for those)."""
        if previous is not None:
            await asyncio.wait({previous})  # its failure was logged there
        keycaps: list[asyncio.Task[None]] = []
        _KEYCAPS.set(keycaps)  # this task's own context: only its questions land here
        await self.on_room_events(room_id, events)
        return keycaps

    @staticmethod
    async def _answered(chain: asyncio.Task[list[asyncio.Task[None]]]) -> None:
        keycaps = await chain
        if keycaps:
            await asyncio.wait(keycaps)

    def _unchain(self, room_id: str, done: asyncio.Task[Any]) -> None:
        if self._chains.get(room_id) is done:
            del self._chains[room_id]

    async def close(self) -> None:
        """Stop what is still being applied (a stop, a lost lease): its sync position was
        not stored, so those events come again to whichever process syncs next."""
        tasks: list[asyncio.Future[Any]] = [*self._chains.values(), *self._background]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def apply_invites(self, response: SyncResponse) -> None:
        me = self.client.user_id
        for room_id, info in response.rooms.invite.items():
            try:
                await self.on_invite(room_id, inviter(info.invite_state, me))
            except Exception as error:  # one invite must not stop the others
                self.log_failure(error)

    async def on_invite(self, room_id: str, sender: str | None) -> None:
        """Join a chat an admitted practitioner (or someone with a waiting invite code)
        starts; decline the rest without a word and without keeping anything."""
        if sender is not None and await self.turns.may_invite(identity(sender)):
            await self.client.join(room_id)
            log.info("joined a direct chat")
            return
        await self.client.room_leave(room_id)
        log.info("declined an invite")

    async def on_room_events(self, room_id: str, events: Sequence[Any]) -> None:
        """One room's events in order. A failure in one room is logged and the room's other
        events and the other rooms go on (its events are not tried again: a room that
        always fails would otherwise stop the channel at every sync)."""
        try:
            await self._on_room_events(room_id, events)
        except Exception as error:
            self.log_failure(error)

    async def _on_room_events(self, room_id: str, events: Sequence[Any]) -> None:
        room = self.client.rooms.get(room_id)
        if room is None:
            return
        if room.member_count > DIRECT:
            await self.leave_group(room)
            return
        if room.member_count < DIRECT:  # the practitioner left: the chat is over
            await self.client.room_leave(room.room_id)
            await self.forget(room.room_id)
            return
        for event in events:
            if getattr(event, "sender", None) == self.client.user_id:
                continue
            try:
                await self.on_event(room, event)
            except Exception as error:  # one event's failure must not stop the others
                self.log_failure(error)
                await self.tell_failure(room, str(event.sender), f"{event.event_id}-x")

    async def on_event(self, room: MatrixRoom, event: Any) -> None:
        sender = str(event.sender)
        if isinstance(event, ReactionEvent):
            await self.on_reaction(room, sender, event)
        elif isinstance(event, MegolmEvent):  # not decryptable (keys missing)
            await self.say(room, sender, UNREADABLE, f"{event.event_id}-u")
        elif isinstance(event, RoomMessageText) and not is_edit(event):
            known = await self.known(room.room_id)
            question = known.question if known else None
            choices = (
                [ReplyButton(label, data) for label, data in question.choices] if question else []
            )
            await self.turn(
                room, sender, event.event_id, text_event(event.body, choices, self.commands)
            )
        elif isinstance(event, RoomMessage) or (
            isinstance(event, BadEvent) and event.type == "m.room.message"
        ):
            # A malformed message (a picture without its file, say) is still a message:
            # it gets the same answer as a picture.
            kind = (
                "edited" if is_edit(event) else event.source.get("content", {}).get("msgtype", "")
            )
            happened = Unsupported("edited") if kind == "edited" else unreadable(str(kind))
            await self.turn(room, sender, event.event_id, happened)

    async def on_reaction(self, room: MatrixRoom, sender: str, event: ReactionEvent) -> None:
        """A keycap under one of the bot's questions presses that choice; under an older
        question it is refused as an old button is. Other emoji are just emoji."""
        number = keycap_number(event.key)
        known = await self.known(room.room_id)
        question = known.asked(event.reacts_to) if known and number else None
        if question is None or number is None or number > len(question.choices):
            return
        await self.turn(room, sender, event.event_id, Press(question.choices[number - 1][1]))

    async def turn(self, room: MatrixRoom, sender: str, event_id: str, event: Event) -> None:
        """Apply the event once (its id is claimed with the turn) and send the outcome."""
        who = identity(sender)
        outcome = await self.turns.handle(who, event, event_id=event_number(event_id))
        if outcome.refused:
            await self.send_outcome(room.room_id, outcome, event_id)
            if not await self.turns.may_invite(who):  # no invite code left to send here
                await self.client.room_leave(room.room_id)
            return
        if outcome.erased:
            self.forget_practitioner(who.key)
            await self.send_outcome(room.room_id, outcome, event_id)
            return
        known = await self.seen(room.room_id, who.key)
        if not room.encrypted and not known.warned_unencrypted:
            await self.send(
                room.room_id, self.notice(outcome.language, NOT_ENCRYPTED), f"{event_id}-w"
            )
            warned = await rooms.warned(self.turns.sessions, room.room_id)
            held = self._rooms.get(room.room_id)  # as it is now: a reminder may have asked
            self._rooms[room.room_id] = (
                replace(held, warned_unencrypted=True) if warned and held else None
            )
        await self.send_outcome(room.room_id, outcome, event_id)

    async def say(self, room: MatrixRoom, sender: str, msgid: str, tx_id: str | None) -> None:
        """A line of the channel's own; `tx_id` made from the event it answers, so a
        redelivery of that event does not post it twice."""
        language = self.turns.language_of(identity(sender))
        await self.send(room.room_id, self.notice(language, msgid), tx_id)

    async def leave_group(self, room: MatrixRoom) -> None:
        """One short line, then out: a group chat would show family matters to others."""
        language = self.turns.settings.default_language
        await self.send(room.room_id, self.notice(language, DIRECT_ONLY), None)
        await self.client.room_leave(room.room_id)
        await self.forget(room.room_id)
        log.info("left a room with more than two members")

    # --- sending -------------------------------------------------------------------------

    def notice(self, language: str, msgid: str) -> dict[str, Any]:
        text = self.turns.catalogs.get(language).gettext(msgid)
        return message_content(text, (), self.commands)

    async def send_outcome(self, room_id: str, outcome: Outcome, event_id: str | None) -> None:
        """Files first, then the replies; the last reply's choices become the room's
        current question. `event_id` makes the transaction ids, so a redelivered event
        (after a crash between sending and moving the sync position) finds its answers
        already sent: the homeserver returns the earlier ones instead of posting again."""
        base = event_id
        for index, attachment in enumerate(outcome.attachments):
            await self.send_file(room_id, attachment, f"{base}-f{index}" if base else None)
        if outcome.notice and not outcome.replies:
            # Telegram shows it on the pressed button (an old one, a double tap): here a
            # short line, and the chat stays as it is.
            notice = notice_content(self.wording(outcome.notice), self.commands)
            await self.send(room_id, notice, f"{base}-n" if base else None)
        for index, reply in enumerate(outcome.replies):
            last = index == len(outcome.replies) - 1
            await self.send_reply(room_id, reply, f"{base}-{index}" if base else None, current=last)

    async def send_reply(
        self, room_id: str, reply: Reply, tx_id: str | None, *, current: bool = True
    ) -> None:
        """A reply with its numbered choices; if it is the current question, it is
        remembered for the numbers and, with at most five choices, gets keycap reactions."""
        choices = flatten(reply.buttons)
        content = message_content(self.wording(reply.text), choices, self.commands)
        sent = await self.send(room_id, content, tx_id)
        if not current:
            return
        question = (
            rooms.Question(sent, tuple((b.label, b.data) for b in choices)) if choices else None
        )
        await self.remember(room_id, question)
        if choices and len(choices) <= len(KEYCAPS):
            keycaps = asyncio.create_task(self.react(room_id, sent, len(choices), tx_id))
            self._background.add(keycaps)
            keycaps.add_done_callback(self._background.discard)
            pending = _KEYCAPS.get()
            if pending is not None:
                pending.append(keycaps)

    async def remember(self, room_id: str, question: rooms.Question | None) -> None:
        """The room's current question: what its numbers and keycaps now answer. Asked while
        applying a sync's events, it is held here and stored with that sync's position;
        otherwise (a reminder) at once. A room that is no practitioner's chat (a refusal)
        has no question to keep."""
        known = await self.known(room_id)
        if known is None:
            return
        now = self._rooms[room_id] = self._unsaved[room_id] = rooms.asked(known, question)
        if _KEYCAPS.get() is not None:  # a sync's events being applied (`_after`)
            return
        async with self._room_writes:
            if self._unsaved.get(room_id) is not now:
                return  # asked again meanwhile, or stored with a position already
            if await rooms.store_questions(self.turns.sessions, now):
                self._saved({room_id: now})
            elif self._rooms.get(room_id) is now:  # its row is gone
                self._rooms[room_id] = None
                self._unsaved.pop(room_id, None)

    async def react(self, room_id: str, question: str, count: int, tx_id: str | None) -> None:
        """The keycaps 1️⃣ … under a question, in order. They are a convenience beside the
        numbers, which work as soon as the question is remembered, so they come second:
        one at a time for the whole channel, each after any reply still on its way and a
        pause as long as the one before took (at most `KEYCAP_PAUSE`). A reply to another
        practitioner is then never queued at the homeserver behind rows of reactions (each
        costs it a whole event), and keycaps take about half of its time at most when it
        is busy. Left out: those of a question answered meanwhile, those not started within
        `KEYCAP_FRESH` of the question, and all when the room's key must be shared first
        (the next reply does that). The sync position waits for them; after a crash before
        they are out, the event comes again and its answer and keycaps are sent again with
        the same transaction ids (the homeserver posts none twice). A keycap that fails is
        logged, and one the homeserver has not taken within `KEYCAP_TIMEOUT` is left to
        finish on its own; either way the rest of its question's are left out."""
        asked = time.monotonic()
        try:
            async with self._keycaps:
                for number, keycap in enumerate(KEYCAPS[:count], start=1):
                    if not self.current(room_id, question):
                        return  # answered already: a tap on it would only be refused
                    if not self._quiet.is_set():  # replies on their way go first
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._quiet.wait(), QUIET_WAIT)
                    if (
                        not self.current(room_id, question)
                        or time.monotonic() - asked > KEYCAP_FRESH
                        or self._must_share_key(room_id)
                    ):
                        return
                    began = time.monotonic()
                    keycap_tx = f"{tx_id}-r{number}" if tx_id else None
                    if not await self._keycap(room_id, question, keycap, keycap_tx):
                        log.warning("matrix: a keycap took over %.0f s", KEYCAP_TIMEOUT)
                        return
                    # A pause before the next: the homeserver's work for a reaction goes on
                    # after it answered (every member's sync), and replies go first.
                    await asyncio.sleep(min(time.monotonic() - began, KEYCAP_PAUSE))
        except Exception as error:
            self.log_failure(error)

    async def _keycap(self, room_id: str, question: str, keycap: str, tx_id: str | None) -> bool:
        """Post one reaction; False when the homeserver has not taken it within
        `KEYCAP_TIMEOUT` (it goes on in the background, never called back)."""
        reaction = {
            "m.relates_to": {"rel_type": "m.annotation", "event_id": question, "key": keycap}
        }
        posting = asyncio.ensure_future(self.post(room_id, reaction, tx_id, "m.reaction"))
        self._background.add(posting)
        posting.add_done_callback(self._background.discard)
        done, _ = await asyncio.wait({posting}, timeout=KEYCAP_TIMEOUT)
        if not done:
            posting.add_done_callback(lambda late: late.cancelled() or late.exception())
            return False
        posting.result()
        return True

    def _must_share_key(self, room_id: str) -> bool:
        """Whether matrix-nio would first share a new room key (claiming the other side's
        one-time keys) before sending anything to this encrypted room: a reply should do
        that, not a keycap waited on by every other chat's keycaps."""
        room = self.client.rooms.get(room_id)
        olm = self.client.olm
        return bool(room and room.encrypted and olm and olm.should_share_group_session(room_id))

    def current(self, room_id: str, question: str) -> bool:
        """Whether `question` is still the one the room's numbers answer (as far as this
        process knows: a room it has no row for yet counts as current)."""
        known = self._rooms.get(room_id)
        return known is None or (known.question is not None and known.question.event_id == question)

    async def send(self, room_id: str, content: dict[str, Any], tx_id: str | None) -> str:
        """Post one message (encrypted in an encrypted room); returns its event id. While
        it is on its way, keycaps wait (`react`)."""
        self._replying += 1
        self._quiet.clear()
        try:
            return await self.post(room_id, content, tx_id, "m.room.message")
        finally:
            self._replying -= 1
            if not self._replying:
                self._quiet.set()

    async def post(
        self, room_id: str, content: dict[str, Any], tx_id: str | None, kind: str
    ) -> str:
        response = await self.client.room_send(
            room_id, kind, content, tx_id=tx_id, ignore_unverified_devices=True
        )
        if not isinstance(response, RoomSendResponse):
            raise SendError(type(response).__name__)
        return str(response.event_id)

    async def send_file(self, room_id: str, attachment: Attachment, tx_id: str | None) -> None:
        """The network picture as an image, the plan as a file; encrypted (the keys travel
        inside the encrypted message) when the room is."""
        room = self.client.rooms.get(room_id)
        encrypted = bool(room and room.encrypted)
        mimetype = "image/png" if attachment.kind == "photo" else mime_of(attachment.filename)
        uploaded, keys = await self.client.upload(
            io.BytesIO(attachment.content),
            content_type=mimetype,
            filename=attachment.filename,
            encrypt=encrypted,
            filesize=len(attachment.content),
        )
        if not isinstance(uploaded, UploadResponse):
            raise SendError(type(uploaded).__name__)
        content: dict[str, Any] = {
            "msgtype": "m.image" if attachment.kind == "photo" else "m.file",
            # A caption is the body beside its own `filename` (Matrix spec 1.10).
            "body": plain(attachment.caption) if attachment.caption else attachment.filename,
            "filename": attachment.filename,
            "info": {"mimetype": mimetype, "size": len(attachment.content)},
        }
        if attachment.caption:
            content["format"] = "org.matrix.custom.html"
            content["formatted_body"] = attachment.caption.replace("\n", "<br>")
        if encrypted and keys is not None:
            content["file"] = {"url": uploaded.content_uri, "mimetype": mimetype, **keys}
        else:
            content["url"] = uploaded.content_uri
        await self.send(room_id, content, tx_id)

    # --- failures ------------------------------------------------------------------------

    def log_failure(self, error: BaseException) -> None:
        """Where it failed, never what was written (see the Telegram channel's `on_error`)."""
        frames = traceback.extract_tb(error.__traceback__)
        where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in frames[-6:])
        log.error("matrix event failed: %s at %s", type(error).__name__, where)

    async def tell_failure(self, room: MatrixRoom, sender: str, tx_id: str) -> None:
        try:
            await self.say(room, sender, FAILED, tx_id)
        except Exception as error:
            log.warning("could not tell the practitioner about a failure: %s", type(error).__name__)


def mime_of(filename: str) -> str:
    return {"pdf": "application/pdf", "json": "application/json", "png": "image/png"}.get(
        filename.rsplit(".", 1)[-1].lower(), "application/octet-stream"
    )


class NotSyncing(NetwerkcoachError):  # noqa: N818 - a state, reported to the job
    """This process does not sync the account now (it waits for the lease, or starts):
    the reminder is tried again later, by whichever process does."""


class Syncing(Protocol):
    """What the notifier needs of the service that syncs (`sync.MatrixService`)."""

    channel: MatrixChannel | None
    ready: asyncio.Event


class MatrixNotifier:
    """The Matrix channel's `Notifier`: reminders go to the direct chat the practitioner
    wrote from last, or the one before if they left that one. It raises (the reminder is
    tried again later) while this process does not sync, or when a send fails; it says
    "never" (False) only when the practitioner has no chat with the bot any more."""

    def __init__(self, service: Syncing) -> None:
        self.service = service

    async def notify(self, practitioner_key: str, message: Reply) -> bool:
        if not practitioner_key.startswith("matrix:"):
            return False
        channel = self.service.channel
        if channel is None or not self.service.ready.is_set():
            raise NotSyncing("this process does not sync the Matrix account now")
        joined = channel.client.rooms
        candidates = await rooms.rooms_of(channel.turns.sessions, practitioner_key)
        room_id = next((room for room in candidates if room in joined), None)
        if room_id is None:
            return False
        await channel.send_reply(room_id, message, None)
        return True
