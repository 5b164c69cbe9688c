"""The ledger behind long polling: which offset confirms exactly the updates that are done."""

from __future__ import annotations

import json

from bot import metrics
from bot.channels.telegram.polling import Ledger, UpdatesRequest


def test_before_the_first_update_there_is_no_offset() -> None:
    ledger = Ledger()
    assert ledger.offset is None
    assert not ledger.busy
    assert ledger.is_new(1)


def test_the_offset_waits_for_the_oldest_update_in_hand() -> None:
    ledger = Ledger()
    for update_id in (10, 11, 12):
        ledger.take(update_id)
    assert ledger.offset == 10
    assert metrics.UPDATES_IN_HAND._value.get() == 3
    ledger.finish(11)
    ledger.finish(12)
    assert ledger.offset == 10  # 10 is not done: Telegram must keep it
    assert not ledger.advanced.is_set()
    ledger.finish(10)
    assert ledger.offset == 13  # all three done: confirmed at once
    assert ledger.advanced.is_set()
    assert not ledger.busy
    assert metrics.UPDATES_IN_HAND._value.get() == 0


def test_known_counts_what_the_next_call_returns_again() -> None:
    ledger = Ledger()
    assert ledger.known == 0
    for update_id in (10, 11, 12):
        ledger.take(update_id)
    ledger.finish(12)
    assert ledger.known == 3  # 10 and 11 in hand, 12 done above them
    ledger.finish(10)
    assert ledger.known == 2
    ledger.finish(11)
    assert ledger.known == 0


def test_an_update_fetched_before_is_not_new_even_once_it_is_done() -> None:
    """An answer to a call made while 10 was in hand may arrive after 10 is done."""
    ledger = Ledger()
    ledger.take(10)
    ledger.take(11)
    assert not ledger.is_new(10)
    ledger.finish(10)
    assert not ledger.is_new(10)
    assert not ledger.is_new(11)
    assert ledger.is_new(12)


def test_the_updates_connection_drops_the_updates_it_has_fetched_before() -> None:
    ledger = Ledger()
    request = UpdatesRequest(ledger)
    ledger.take(5)
    ledger.take(6)
    ledger.finish(6)
    answer = {"ok": True, "result": [{"update_id": 5}, {"update_id": 6}, {"update_id": 7}]}
    parsed = request.parse_json_payload(json.dumps(answer).encode())
    assert parsed == {"ok": True, "result": [{"update_id": 7}]}


def test_the_updates_connection_decodes_only_the_new_updates() -> None:
    """The first new update is found by its bytes; the ones before it are not decoded (the
    known one here is not even valid JSON), also with the spacing of `json.dumps`."""
    ledger = Ledger()
    request = UpdatesRequest(ledger)
    for update_id in (41, 42):
        ledger.take(update_id)
    ledger.finish(41)
    text = '{"message": {"text": "{\\"update_id\\":43,"}}'  # a quote in a string is escaped
    for spacing in ("", " "):
        known = '{"update_id":' + spacing + "41, not JSON}, " + '{"update_id":42, "x": 1}'
        new = ", ".join(f'{{"update_id":{spacing}{i}, {text[1:-1]}}}' for i in (43, 44))
        answer = f'{{"ok":{spacing}true, "result": [{known}, {new}]}}'.encode()
        parsed = request.parse_json_payload(answer)
        assert [u["update_id"] for u in parsed["result"]] == [43, 44]
        assert parsed["result"][0]["message"]["text"] == '{"update_id":43,'


def test_the_updates_connection_decodes_all_when_the_first_new_one_is_missing() -> None:
    ledger = Ledger()
    request = UpdatesRequest(ledger)
    ledger.take(7)
    ledger.finish(7)
    answer = {"ok": True, "result": [{"update_id": 7}, {"update_id": 80}, {"update_id": 9}]}
    parsed = request.parse_json_payload(json.dumps(answer).encode())
    assert parsed == {"ok": True, "result": [{"update_id": 80}, {"update_id": 9}]}


def test_the_updates_connection_leaves_other_answers_alone() -> None:
    request = UpdatesRequest(Ledger())
    error = {"ok": False, "error_code": 409, "description": "Conflict"}
    assert request.parse_json_payload(json.dumps(error).encode()) == error
