"""The label policy: contact details are refused, likely full names warned about.

Pure functions first, with Dutch examples of both kinds of mistakes a heuristic makes
(missing a real name, warning about a pseudonym); then the policy as practitioners meet
it: a family's label in onboarding and /gezin, a person on the network map.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.actions.labels import (
    NAME_WARNINGS,
    REFUSALS,
    check_label,
    contact_detail,
    looks_like_full_name,
)
from bot.engine.errors import Reject
from bot.engine.render import escape
from bot.store.models import Case
from tests.support.chat import Chat
from tests.support.flows import enter
from tests.support.onboarding import onboard

# --- contact details -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("06-12345678", "phone"),
        ("0612345678", "phone"),
        ("06 1234 5678", "phone"),
        ("+31 6 1234 5678", "phone"),
        ("+31612345678", "phone"),
        ("(020) 123 4567", "phone"),
        ("oma 06-12345678", "phone"),
        ("a@b.nl", "email"),
        ("oma.jansen@example.org", "email"),
        ("Dorpsstraat 12", "address"),
        ("Kerkweg 3a", "address"),
        ("Laan van Meerdervoort 100", "address"),
        ("Korte Nieuwstraat 5-II", "address"),
        ("2e Oosterparkstraat 201", "address"),
        ("Plein 1944 nr 3", "address"),
        ("Hoofdweg 12 Amsterdam", "address"),
        ("Gezin B., Marktplein 4", "address"),
        ("1234 AB", "postcode"),
        ("1234AB", "postcode"),
        ("1234 ab", "postcode"),
        ("Fam. K 9711 LM", "postcode"),
    ],
)
def test_contact_details_are_recognised(text: str, kind: str) -> None:
    assert contact_detail(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "Gezin B.",
        "Gezin C2",
        "Gezin AB",
        "Gezin 7",
        "Fam. K",
        "oma",
        "buurvrouw Ans",
        "juf Petra",
        "juf Petra van groep 5",
        "Jan de Vries",  # a name, but not a contact detail
        "Oma Truus",
        "Kerkstraat",  # a street without a number is not an address
        "Gezin 2024",
        "Gezin 2024 en 2025",  # a year before a word is not a postcode
        "1234 SS",  # Dutch postcodes never use SA, SD or SS
        "15-03-2026",  # a date has 8 digits, a phone number at least 9
        "groep 8",
        "Fam. K (2e gezin)",
        "@oma",
    ],
)
def test_ordinary_labels_are_not_contact_details(text: str) -> None:
    assert contact_detail(text) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Bel 06 1234 5678", "phone"),
        ("oma@example.org", "email"),
        ("Kerkweg 3a", "address"),
        ("1234 AB", "postcode"),
    ],
)
@pytest.mark.parametrize("who", ["family", "person"])
def test_check_label_refuses_with_an_explanation_for_the_kind(
    text: str, kind: str, who: str
) -> None:
    with pytest.raises(Reject) as refused:
        check_label(text, who)  # type: ignore[arg-type]
    assert refused.value.msgid == REFUSALS[who][kind]  # type: ignore[index]


def test_every_refusal_names_what_it_saw_and_suggests_a_role_or_pseudonym() -> None:
    words = {"phone": "phone number", "email": "e-mail", "address": "address"}
    words["postcode"] = "postcode"
    for who, suggestion in (("family", "“Gezin B.”"), ("person", "“oma”")):
        for kind, msgid in REFUSALS[who].items():  # type: ignore[index]
            assert words[kind] in msgid
            assert suggestion in msgid


def test_check_label_passes_a_pseudonym_unchanged() -> None:
    assert check_label("Gezin B.") == "Gezin B."
    assert check_label("buurvrouw Ans", "person") == "buurvrouw Ans"


# --- full names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Jan de Vries",
        "Marie Jansen",
        "JAN DE VRIES",
        "Mohammed El Amrani",
        "Gezin Bakker",  # a family's surname
        "Familie Jansen",
        "Mevrouw Jansen",
        "opa de Boer",  # a role, but with a surname
        "van Dijk",
        "Anna Maria",  # known false positive: a double first name (only a warning)
        "Gezin Zonnebloem",  # known false positive: a pseudonym that looks like a surname
    ],
)
def test_likely_full_names_are_recognised(name: str) -> None:
    assert looks_like_full_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "Gezin B.",
        "Fam. K",
        "Fam. van D.",
        "oma",
        "Oma",
        "Oma Truus",
        "Oma Riet",
        "tante Ria",
        "buurvrouw Ans",
        "buurman Piet",
        "juf Petra",
        "Juf Petra van Groep 5",
        "Coach Kevin",
        "tante Ria uit Utrecht",
        "Oma van moederskant",
        "De buurvrouw",
        "Jan B.",
        "J.K.",
        "Jan",
        "jan de vries",  # known miss: lower case is not recognised
    ],
)
def test_roles_initials_and_first_names_are_not_full_names(name: str) -> None:
    assert not looks_like_full_name(name)


# --- the policy in the conversation ----------------------------------------------------------


async def labels_of(chat: Chat) -> list[str]:
    async with chat.engine.sessions() as session:
        return [c.label for c in (await session.scalars(select(Case))).all()]


async def test_a_family_label_that_looks_like_a_name_is_kept_with_a_warning(chat: Chat) -> None:
    await onboard(chat, "Gezin Bakker")

    assert chat.has(NAME_WARNINGS["family"], label="Gezin Bakker")
    assert (await chat.where()).flow == "menu"
    practitioner = await chat.practitioner()
    assert practitioner is not None and practitioner.active_case_id is not None


async def test_a_pseudonym_gets_no_warning(chat: Chat) -> None:
    await onboard(chat, "Gezin B.")
    assert (await chat.where()).flow == "menu"
    assert not chat.has(NAME_WARNINGS["family"], label="Gezin B.")
    assert await labels_of(chat) == ["Gezin B."]


async def test_renaming_to_a_full_name_warns_and_renames(chat: Chat) -> None:
    await onboard(chat, "Fam. K")
    await chat.send("/gezin")
    await chat.press("Rename")
    await chat.text("Jan de Vries")

    assert chat.has(NAME_WARNINGS["family"], label="Jan de Vries")
    assert await labels_of(chat) == ["Jan de Vries"]


@pytest.mark.parametrize(
    ("label", "kind"),
    [("Dorpsstraat 12", "address"), ("1234 AB", "postcode"), ("+31 6 1234 5678", "phone")],
)
async def test_a_family_label_with_contact_details_is_refused_and_nothing_kept(
    chat: Chat, label: str, kind: str
) -> None:
    await chat.send("/start")
    await chat.press("Continue")
    await chat.press("Understood")
    before = await chat.where()

    await chat.text(label)

    assert chat.has(REFUSALS["family"][kind])  # type: ignore[index]
    assert await chat.where() == before
    assert await labels_of(chat) == []


async def test_a_person_with_an_address_is_refused_and_a_full_name_warned(chat: Chat) -> None:
    await onboard(chat, "Fam. K")
    await enter(chat, "fase2")
    before = await chat.where()

    await chat.text("Oma, Kerkweg 3a")
    assert chat.has(REFUSALS["person"]["address"])
    assert await chat.where() == before

    await chat.text("Truus Jansen")
    assert chat.has(NAME_WARNINGS["person"], name=escape("Truus Jansen"))
    assert (await chat.where()).step == "group"
