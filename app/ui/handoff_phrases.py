"""Does a customer's message ask for a human? A small phrase matcher, tuned for few false alarms.

"Talk to a human", "speak to an agent", "real person", "live agent", "human please" and the like
count; a question that only mentions an agent ("my travel agent booked it") or asks whether the
bot is human ("am I talking to a real person?") does not.
"""

from __future__ import annotations

import re

_PEOPLE = (
    r"(?:a |an |the |some |your |one of your )?"
    r"(?:real |actual |live |human |support |customer service |service )?"
    r"(?:human|humans|person|people|agent|agents|representative|rep|someone|somebody|staff"
    r"|operator|employee|support team|team member|advisor|adviser)"
)
_ASK = re.compile(
    r"\b(?:talk|speak|chat|get through|connect(?: me)?|put me through|transfer(?: me)?|escalate"
    r"|hand(?: me)? over|pass me)(?: (?:to|with))? " + _PEOPLE + r"\b"
)
_WANT = re.compile(
    r"\b(?:i want|i need|i'd like|i would like|give me|get me|need) " + _PEOPLE + r"\b"
)
_REAL = re.compile(r"\b(?:real|actual|live) (?:human|person|agent|people|support)\b")
_BARE = re.compile(
    r"^(?:(?:a |an )?(?:human|agent|operator|representative|real person)(?: please)?|"
    r"human (?:please|agent|support|help))$"
)
# Asking whether the bot is a person is not asking for one.
_IDENTITY = re.compile(
    r"\b(?:am i (?:talking|speaking|chatting) (?:to|with)|are you(?: a)?|is this(?: a)?)\b"
)
# "My agent" is someone the customer already has (a travel agent, an estate agent...).
_THEIR_OWN = re.compile(r"\b(?:my|our|his|her|their) (?:travel |estate |insurance )?agent\b")


def _normalise(text: str) -> str:
    text = text.lower().replace("’", "'")
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def asks_for_human(text: str) -> bool:
    """Whether the message asks to be handed to a human."""
    words = _normalise(text)
    if not words or len(words) > 300:  # a long message is a question, not a request to switch
        return False
    if _BARE.match(words):
        return True
    if _IDENTITY.search(words) and not (_ASK.search(words) or _WANT.search(words)):
        return False
    if _THEIR_OWN.search(words) and not _REAL.search(words):
        return False
    return bool(_ASK.search(words) or _WANT.search(words) or _REAL.search(words))
