"""The questionnaire both baselines ask: 49 questions, answered with buttons or typed text.

Its shape is Netwerkcoach's benchmark script after /start (the same order of button
presses and typed answers), and its messages are about as long, with HTML and inline
keyboards, so the three bots send and parse comparable traffic. Only the standard library
is used here: each baseline imports nothing of Netwerkcoach.
"""

from __future__ import annotations

from dataclasses import dataclass

# b = answered with a button (the bot answers the callback and edits the message),
# t = answered with typed text (the bot sends a new message). Netwerkcoach's script after
# /start, in the order of practitioner 0 (tests/perf/scripts.py).
PATTERN = "bbttbbbtbbtbbtbbbtttbbtbtttttttbtbbtbtbbbbbbtbtbb"
BODY = (
    "Denk aan het netwerk van het gezin: familie, vrienden, buren, school. Vraag de ouder "
    "wie er belangrijk is en wie er mag meedenken. Noteer het in de woorden van de ouder, "
    "zonder achternamen of contactgegevens. Vertrouwen komt eerst: dat hoort bij het werk."
)
TIP = "💡 <i>Tip van ouders: luister eerst, en vraag pas daarna wie er kan helpen.</i>"
OPTIONS = ("Ja", "Nee", "Weet ik nog niet")
THANKS = "<b>Dank je!</b> De vragenlijst is klaar. Met /start begin je opnieuw."


@dataclass(frozen=True, slots=True)
class Question:
    title: str
    text: str
    options: tuple[str, ...]
    """Button labels; empty for a question answered with typed text."""


def _question(index: int, kind: str) -> Question:
    title = f"Vraag {index + 1} van {len(PATTERN)}"
    text = f"<b>{title}</b>\n{BODY}\n\n{TIP}"
    return Question(title, text, OPTIONS if kind == "b" else ())


QUESTIONS = tuple(_question(i, kind) for i, kind in enumerate(PATTERN))


def answer_label(index: int) -> str:
    """The button the simulated practitioner presses at question `index`."""
    return OPTIONS[index % len(OPTIONS)]


def answer_text(index: int) -> str:
    return f"Antwoord op vraag {index + 1}: oma haalt de kinderen op woensdag op"


def callback_data(index: int, option: int) -> str:
    return f"q{index}:{option}"
