"""Phrases that introduce, address or sign a name: "my name is", "thanks anna,", "call Ben on".

Each phrase is a regex whose ``value`` group is a run of up to four words; the name recognizer
keeps the leading words of the run that can be a name. Phrases that only a name can follow skip
the part-of-speech check; the others need it ("this is urgent", "I'm confused").
"""

from __future__ import annotations

import re

from guardrails.recognizers.context_pattern import compile_pattern

_NAME_WORD = r"[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*"
_NAME_RUN = rf"(?P<value>{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,3}})"

# Phrases after which a name is all that can follow: a lower-case word there is a name even if
# spaCy tags it as a verb or an adjective ("my name is joep molen").
_NAMING = compile_pattern(
    r"(?<!\w)(?:my\s+name\s+is|my\s+name['’]s|(?:full\s+)?name\s*:|full\s+name|signed"
    r"|call\s+me|under\s+the\s+name(?:\s+of)?|addressed\s+to|recipient\s*:?"
    r"|(?:account|card)\s*holder\s*:?|attention\s*:?|attn\.?\s*:?|c/o|on\s+behalf\s+of"
    r"|(?:mr|mrs|ms|miss|mx|dr|prof)\.?"
    r"|my\s+(?:wife|husband|partner|son|daughter|mother|mom|mum|father|dad|brother|sister"
    r"|colleague|friend|neighbou?r|boss|manager|assistant)[,]?)[ \t]+" + _NAME_RUN
)
# Phrases a name often follows, but so do ordinary words ("this is urgent", "I'm confused",
# "call them on"): a lower-case word here must not be tagged as a verb, adjective, pronoun...
_INTRODUCTIONS = compile_pattern(
    r"(?<!\w)(?:this\s+is|it['’]s|i\s+am|i['’]m|im|(?:is\s+)?(?:named|called)"
    r"|(?:spoke|speak|speaking|talked|talking)\s+(?:to|with)|ask\s+for"
    r"|(?:gift|present|parcel|package)\s+for"
    r"|(?:requested|ordered|placed|sent|received|collected|signed\s+for)\s+by)[ \t]+" + _NAME_RUN
)
# "call anna on 0612...", "text Ben at +44...": someone to ring, then how.
_CALL_SOMEONE = compile_pattern(
    r"(?<!\w)(?:call|ring|text|phone|contact)[ \t]+" + _NAME_RUN + r"(?=[ \t]+(?:on|at)\b)"
)
# Thanks, apologies and greetings addressed to someone: "Thanks anastasio, that fixed it".
_ADDRESSED = compile_pattern(
    r"(?<!\w)(?:thanks|thank\s+you|sorry|hi|hello|hey|dear|cheers)[ \t]*,?[ \t]+"
    + _NAME_RUN
    + r"(?=[ \t]*[,!:;])"
)
# A greeting opens the message or a line: "Hi Anna,", "dear mr kowalski".
_GREETINGS = compile_pattern(
    r"(?:^|(?<=\n))\s*(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening))[ \t]+"
    + _NAME_RUN
    + r"[ \t]*[,!:.\n]"
)
# A sign-off opens the message or a line, or follows a sentence, and the name ends the message.
_SIGN_OFFS = compile_pattern(
    r"(?:^|(?<=[\n.!?]))\s*(?:thanks|thank\s+you|many\s+thanks|regards|kind\s+regards"
    r"|best\s+regards|best\s+wishes|best|cheers|(?:yours\s+)?(?:sincerely|truly|faithfully)"
    r"|br|ty|thx)[ \t]*[,:!.-]?\s*" + _NAME_RUN + r"[ \t]*[.!]?\s*$"
)
# A bare signature: two or three name words after a dash, or alone after the last sentence.
_SIGNATURES = compile_pattern(
    r"(?:(?<=[.!?])[ \t]+|[ \t][-–—][ \t]+|(?<=\n)[ \t]*)(?:--[ \t]*)?"
    + _NAME_RUN
    + r"[ \t]*[.!]?\s*$"
)

# A name heading a message or a line, before a dash: "Tom Appelman - ORD-265521 - parcel".
_HEADINGS = compile_pattern(r"(?:^|(?<=\n))[ \t]*" + _NAME_RUN + r"(?=[ \t]+[-–—][ \t]+\S)")

# (pattern, score, check part of speech, least number of name words)
NAME_PHRASES: tuple[tuple[re.Pattern[str], float, bool, int], ...] = (
    (_NAMING, 0.6, False, 1),
    (_INTRODUCTIONS, 0.6, True, 1),
    (_CALL_SOMEONE, 0.55, True, 1),
    (_ADDRESSED, 0.55, True, 1),
    (_SIGN_OFFS, 0.55, True, 1),
    (_GREETINGS, 0.55, True, 1),
    (_SIGNATURES, 0.5, True, 2),
    (_HEADINGS, 0.5, True, 2),
)
