"""What the simulated practitioners do: fixed scripts of updates, with the reply expected.

Netwerkcoach's script follows the end-to-end walk (tests/e2e/test_telegram_phases.py):
onboarding with a label, then /voorbereiden and the four phases, with buttons and typed
text. After onboarding the five sections come in a rotated order (each practitioner starts
at another one), so a short measured window still sees every phase; phase 3 always comes
after phase 2, which puts Oma (yes) and Juf (not discussed) on the map.

The baselines' script answers their shared questionnaire (baselines/questionnaire.py),
whose pattern of buttons and typed text is the same as Netwerkcoach's.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.perf.baselines.questionnaire import QUESTIONS, answer_label, answer_text
from tests.support.telegram import Texts

SEND, PRESS, PRESS_HAVING = "send", "press", "press_having"


@dataclass(frozen=True, slots=True)
class Action:
    """One update: send `arg` as text, press the button labelled `arg`, or press the
    button whose label contains `arg`. `expect` must appear in the bot's reply."""

    kind: str
    arg: str
    expect: str | None = None


# The order after onboarding; phase 3 needs the people that phase 2 maps.
ROTATION = ("fase2", "fase3", "fase4", "voorbereiden", "fase1")
START_AT = (0, 2, 3, 4)  # never start at fase3


class Netwerkcoach:
    """Builds the practitioner's actions from the flows and the Dutch catalog."""

    def __init__(self, txt: Texts) -> None:
        self.txt = txt
        self.sections = {name: getattr(self, name)() for name in ROTATION}

    def _first(self, flow: str, step: str) -> str:
        return self.txt.first_line(flow, step)

    def _press(self, flow: str, step: str, button: str, to: tuple[str, str]) -> Action:
        return Action(PRESS, self.txt.button(flow, step, button), self._first(*to))

    def _send(self, text: str, to: tuple[str, str]) -> Action:
        return Action(SEND, text, self._first(*to))

    def _open(self, flow: str) -> list[Action]:
        """/fase, then the button that carries the phase's title (and its progress)."""
        title = self.txt.t(self.txt.flows[flow].title)
        first = self.txt.flows[flow].start
        return [
            self._send("/fase", ("fase", "choose")),
            Action(PRESS_HAVING, title, self._first(flow, first)),
        ]

    def onboarding(self, label: str) -> list[Action]:
        p = self._press
        return [
            self._send("/start", ("onboarding", "welcome")),
            p("onboarding", "welcome", "next", ("onboarding", "privacy")),
            p("onboarding", "privacy", "ok", ("onboarding", "first_case")),
            Action(SEND, label, label),
        ]

    def voorbereiden(self) -> list[Action]:
        p, v = self._press, "voorbereiden"
        return [
            self._send("/voorbereiden", (v, "why")),
            p(v, "why", "done", (v, "sentence")),
            self._send("Ik ben hier maar even; jullie mensen blijven.", (v, "join")),
            p(v, "join", "done", (v, "listen")),
            p(v, "listen", "done", (v, "vulnerable")),
            p(v, "vulnerable", "done", (v, "trust")),
            p(v, "trust", "done", (v, "summary")),
            p(v, "summary", "save", (v, "remind")),
            p(v, "remind", "decline", (v, "saved")),
        ]

    def fase1(self) -> list[Action]:
        p, f = self._press, "fase1"
        return [
            *self._open(f),
            self._send("Oma en de buurvrouw mogen meedenken", (f, "join")),
            p(f, "join", "accepted", (f, "trust")),
            p(f, "trust", "later", (f, "later")),
        ]

    def fase2(self) -> list[Action]:
        p, f = self._press, "fase2"
        return [
            *self._open(f),
            p(f, "start", "nobody", (f, "no_network")),
            p(f, "no_network", "add", (f, "name")),
            self._send("Oma, haalt de kinderen op", (f, "closeness")),
            p(f, "closeness", "close", (f, "decision")),
            p(f, "decision", "consent", (f, "hub")),
            self._send("Juf, vrienden, ertussenin", (f, "decision")),
            p(f, "decision", "undecided", (f, "hub")),
            p(f, "hub", "done", (f, "done")),
        ]

    def fase3(self) -> list[Action]:
        p, f = self._press, "fase3"
        return [
            *self._open(f),
            Action(PRESS_HAVING, "Juf", self._first(f, "choose")),  # refused: no consent
            Action(PRESS_HAVING, "Oma", self._first(f, "goal")),
            self._send("Haalt de kinderen op woensdag, zodat moeder kan werken", (f, "until")),
            self._send("tot de zomervakantie", (f, "tasks")),
            self._send("ouder: vraagt oma eerst", (f, "follow_up")),
            Action(PRESS_HAVING, self.txt.t("In a week"), self._first(f, "choose")),
            p(f, "choose", "done", ("menu", "main")),
        ]

    def fase4(self) -> list[Action]:
        p, s, f = self._press, self._send, "fase4"
        return [
            *self._open(f),
            s("Het gaat beter, oma helpt mee", (f, "place")),
            s("We staan er niet meer alleen voor", (f, "meaning")),
            s("Dat oma blijft helpen op woensdag", (f, "signal")),
            s("De kinderen komen te laat op school", (f, "who")),
            s("oma", (f, "how")),
            s("Moeder belt oma die avond", (f, "expect")),
            s("oma: komt op woensdag", (f, "expect")),
            p(f, "expect", "next", (f, "check_in")),
            s("over 2 weken: moeder bellen", (f, "check_in")),
            p(f, "check_in", "finish", (f, "remind")),
            p(f, "remind", "decline", (f, "done")),
        ]

    def phases(self, index: int) -> list[Action]:
        """The five sections, starting at a place that depends on `index`."""
        start = START_AT[index % len(START_AT)]
        order = ROTATION[start:] + ROTATION[:start]
        return [action for name in order for action in self.sections[name]]

    def script(self, index: int, label: str) -> list[Action]:
        return self.onboarding(label) + self.phases(index)


def kinds(actions: list[Action]) -> str:
    """`b` for a button, `t` for typed text or a command: the shape of a script."""
    return "".join("t" if a.kind == SEND else "b" for a in actions)


def questionnaire_script() -> list[Action]:
    """The baselines: /start, then every question answered, the last reply a thank-you."""
    actions = [Action(SEND, "/start", QUESTIONS[0].title)]
    for i, question in enumerate(QUESTIONS):
        expect = QUESTIONS[i + 1].title if i + 1 < len(QUESTIONS) else "Dank je"
        if question.options:
            actions.append(Action(PRESS, answer_label(i), expect))
        else:
            actions.append(Action(SEND, answer_text(i), expect))
    return actions
