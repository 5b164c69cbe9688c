"""One typed line for one person on the network map: "oma Els, familie, dichtbij".

Adding someone took six inputs (a button, the name, the group, how close, what they could
mean, the decision); a practitioner sitting with a parent types what the parent says in
one go instead. The line is split at commas (or semicolons): the first part is the name,
a part that names a relation group or a closeness is read as that, and what is left is
what the person could mean, in the parent's words. What the line does not say is asked
with buttons afterwards; a role in the name ("oma", "buurvrouw", "juf") gives the group
when no group is typed. The parent's decision on contact is always asked, never read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.actions.labels import REFUSALS, check_label, check_note, contact_detail
from bot.engine.errors import Reject
from bot.engine.registry import registry

_GROUP_WORDS = {
    "household": """familie gezin huishouden fam household family relatives""",
    "friends": """vriend vrienden vriendin vriendinnen kennis kennissen friend friends
        acquaintance acquaintances""",
    "community": """buurt buren school werk club sport sportclub vereniging kerk moskee
        wijk neighbourhood neighborhood neighbours neighbors work community church""",
    "professional": """professional professionals hulpverlener hulpverlening zorg
        pro pros""",
}
_CLOSENESS_WORDS = {
    "close": ("dichtbij", "heel dichtbij", "dichtbij staand", "close", "close by", "near"),
    "middle": (
        "een beetje",
        "beetje",
        "ertussenin",
        "tussenin",
        "middel",
        "midden",
        "in between",
        "between",
        "middle",
        "a bit",
    ),
    "far": ("verder weg", "ver weg", "ver", "verder", "further away", "far", "far away"),
}
_ROLE_GROUPS = {
    "household": """oma opa tante oom neef nicht zus zusje broer broertje moeder vader mama
        papa stiefmoeder stiefvader schoonmoeder schoonvader peettante peetoom pleegmoeder
        pleegvader pleegouder grootmoeder grootvader achterneef achternicht grandma grandpa
        granny aunt uncle cousin sister brother mother father mum mom dad stepmother
        stepfather godmother godfather""",
    "friends": """vriend vriendin friend""",
    "community": """buurman buurvrouw buren overbuurman overbuurvrouw buurmeisje buurjongen
        juf meester mentor coach trainer leraar lerares docent collega baas dominee pastor
        imam neighbour neighbor teacher colleague boss""",
    "professional": """huisarts hulpverlener doctor gp""",
}

GROUP_OF_WORD = {w: g for g, words in _GROUP_WORDS.items() for w in words.split()}
CLOSENESS_OF_WORDS = {w: c for c, phrases in _CLOSENESS_WORDS.items() for w in phrases}
GROUP_OF_ROLE = {w: g for g, words in _ROLE_GROUPS.items() for w in words.split()}
_SPLIT = re.compile(r"[,;\n]")
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class PersonLine:
    """What one typed line says about a person; None where it says nothing."""

    name: str
    group: str | None = None
    closeness: str | None = None
    meaning: str | None = None


def _plain(part: str) -> str:
    return " ".join(part.casefold().replace("/", " ").split()).strip(" .")


def _group(part: str) -> str | None:
    words = _plain(part).split()
    return GROUP_OF_WORD[words[0]] if len(words) == 1 and words[0] in GROUP_OF_WORD else None


def _role_group(name: str) -> str | None:
    for word in _WORD.findall(name.casefold()):
        if word in GROUP_OF_ROLE:
            return GROUP_OF_ROLE[word]
    return None


def read_person_line(text: str) -> PersonLine:
    """Split one typed line into name, group, closeness and meaning.

    "oma Els, familie, dichtbij, haalt de kinderen op" gives all four; "buurvrouw Ans"
    gives the name and, from the role, the group; a part that is neither a group nor a
    closeness is kept, commas and all, as what the person could mean."""
    parts = [" ".join(p.split()) for p in _SPLIT.split(text)]
    parts = [p for p in parts if p]
    name, rest = (parts[0], parts[1:]) if parts else ("", [])
    group = closeness = None
    meaning: list[str] = []
    for part in rest:
        if group is None and _group(part) is not None:
            group = _group(part)
        elif closeness is None and _plain(part) in CLOSENESS_OF_WORDS:
            closeness = CLOSENESS_OF_WORDS[_plain(part)]
        else:
            meaning.append(part)
    return PersonLine(
        name=name,
        group=group or _role_group(name),
        closeness=closeness,
        meaning=", ".join(meaning) or None,
    )


@registry.text("person_line")
def typed_person_line(text: str) -> None:
    """A person typed as one line: the name is a label (no contact details at all, as for
    every person), the rest a note (dates and numbers pass, addresses do not)."""
    line = read_person_line(text)
    check_label(line.name, "person")
    if line.meaning:
        try:
            check_note(line.meaning)
        except Reject:  # said as for a person: contact details don't belong on the map
            found = contact_detail(line.meaning)
            if found is None:
                raise
            raise Reject(REFUSALS["person"][found]) from None
