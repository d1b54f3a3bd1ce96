"""The phrase patterns of the rules-based triage (``triage_rules``): data, kept apart from logic.

Patterns are case-insensitive regular expressions over a ticket's subject and body. Weights: 3 a
decisive phrase, 2 a strong word, 1 a hint.
"""

from __future__ import annotations

import re

NOT_COME = (
    r"\b(?:hasn't|has not|never|still not|didn't|did not) "
    r"(?:arrived|come|turned up|been delivered)"
)


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


# Category -> (pattern, weight) pairs. Weights: 3 decisive phrase, 2 strong word, 1 hint.
CATEGORY_RULES: dict[str, tuple[tuple[re.Pattern[str], int], ...]] = {
    "shipping": (
        (
            _rx(
                r"\bwhere is my (?:order|parcel|package|delivery)",
                r"\bnot (?:yet )?(?:arrived|received|been delivered)",
                NOT_COME,
                r"\bdelivered but\b",
                r"\bno parcel\b",
                r"\bpick-?up point\b",
                r"\blost in (?:the )?post\b",
            ),
            3,
        ),
        (
            _rx(
                r"\btracking\b",
                r"\bcourier\b",
                r"\bcarrier\b",
                r"\bin transit\b",
                r"\bdispatch",
                r"\bshipped\b",
                r"\bdeliver(?:y|ed)?\b",
                r"\barriv(?:e|al)\b",
            ),
            1,
        ),
        (_rx(r"\blate\b", r"\bdelay", r"\bsooner\b", r"\bexpected (?:date|delivery)"), 1),
    ),
    "damage": (
        (
            _rx(
                r"\barrived (?:damaged|broken|cracked|smashed|dented)",
                r"\b(?:box|parcel|package) (?:was )?(?:crushed|damaged|torn|wet)",
                r"\bdead on arrival\b",
            ),
            3,
        ),
        (
            _rx(
                r"\bdamaged\b",
                r"\bcracked\b",
                r"\bcrushed\b",
                r"\bsmashed\b",
                r"\bshattered\b",
                r"\bdented\b",
                r"\bbroken\b",
                r"\brattl",
            ),
            2,
        ),
        (_rx(r"\bopened (?:my|the) (?:parcel|box|package)", r"\bphotos?\b", r"\breplacement\b"), 1),
    ),
    "returns": (
        (
            _rx(
                r"\breturn label\b",
                r"\bexchange\b",
                r"\bwould like to return\b",
                r"\bwant to return\b",
                r"\breturn (?:it|this|the|my)\b",
                r"\bsend (?:it|this) back\b",
            ),
            3,
        ),
        (
            _rx(
                r"\breturns?\b",
                r"\bwrong (?:size|colou?r)\b",
                r"\bnot what i (?:expected|ordered)",
                r"\bchanged my mind\b",
                r"\bunopened\b",
            ),
            1,
        ),
    ),
    "refund": (
        (_rx(r"\brefund", r"\bmoney back\b", r"\breimburse"), 2),
        (_rx(r"\bsent (?:it |the \w+ )?back\b", r"\bcard statement\b", r"\bcredited\b"), 1),
    ),
    "technical": (
        (
            _rx(
                r"\b(?:stopped|not|isn't|is not) working\b",
                r"\bwon'?t (?:connect|pair|charge|turn on|start|boot)",
                r"\b(?:can't|cannot|can not) (?:get|connect|pair)",
                r"\bdisconnect",
                r"\bkeeps? (?:crashing|freezing|restarting|dropping)",
                r"\bsetup\b",
                r"\bset up\b",
            ),
            3,
        ),
        (
            _rx(
                r"\boverheat",
                r"\b(?:very|too|extremely) hot\b",
                r"\bburning smell\b",
                r"\bsmok(?:e|ing)\b",
                r"\bswell",
                r"\bbulg",
                r"\bsparks?\b",
                r"\bmelt",
            ),
            3,
        ),
        (
            _rx(
                r"\bbluetooth\b",
                r"\bwi-?fi\b",
                r"\bfirmware\b",
                r"\bupdate\b",
                r"\berror\b",
                r"\bpair",
                r"\brestart",
                r"\breset\b",
                r"\btroubleshoot",
                r"\bfault",
                r"\bglitch",
                r"\bbug\b",
            ),
            1,
        ),
    ),
    "warranty": (
        (_rx(r"\bwarrant", r"\bguarantee\b"), 3),
        (
            _rx(
                r"\brepair\b",
                r"\bafter (?:a few|some|several) (?:months|weeks)\b",
                r"\bbattery (?:not|no longer|doesn't|does not) (?:last|hold)",
                r"\blasts? half\b",
            ),
            2,
        ),
    ),
    "billing": (
        (
            _rx(
                r"\binvoice\b",
                r"\breceipt\b",
                r"\bpromo(?:tion)? code\b",
                r"\bdiscount\b",
                r"\bcoupon\b",
                r"\bcharged? twice\b",
                r"\bdouble[- ]charged\b",
                r"\bcancel(?:l)?ed\b.*\b(?:charge|charged|payment|pending)\b",
            ),
            3,
        ),
        (
            _rx(
                r"\bcharge(?:d|s)?\b",
                r"\bpayment\b",
                r"\bpending\b",
                r"\bbilling\b",
                r"\bvat\b",
                r"\btax\b",
                r"\bbank(?:ing)?\b",
            ),
            2,
        ),
    ),
    "order_change": (
        (
            _rx(
                r"\bcancel (?:my |the |this )?order\b",
                r"\bplease cancel\b",
                r"\bchange (?:the |my )?(?:delivery |shipping )?address\b",
                r"\bwrong (?:delivery )?address\b",
                r"\bbefore it ships\b",
                r"\b(?:add|remove) (?:an |one )?item",
            ),
            3,
        ),
        (
            _rx(
                r"\bordered (?:\w+ ){0,3}by mistake\b",
                r"\bmodify (?:my )?order\b",
                r"\bchange (?:my |the )?order\b",
            ),
            2,
        ),
    ),
    "account": (
        (
            _rx(
                r"\b(?:sign|log)-? ?in\b",
                r"\blogin\b",
                r"\bpassword\b",
                r"\b2fa\b",
                r"\btwo-factor\b",
                r"\blocked out\b",
                r"\bmy account\b",
                r"\bverification (?:code|link|email)",
            ),
            3,
        ),
        (_rx(r"\bemail address\b", r"\bconfirmation link\b", r"\busername\b", r"\bhacked\b"), 2),
    ),
    "general": (
        (
            _rx(
                r"\bmembership\b",
                r"\brewards?\b",
                r"\bloyalty\b",
                r"\bdo you (?:ship|deliver|sell|have)\b",
                r"\bcustoms\b",
                r"\bopening hours\b",
                r"\bgift card\b",
            ),
            3,
        ),
        (_rx(r"\bquestion about\b", r"\bhow much\b", r"\bpolicy\b"), 1),
    ),
}

P1_SIGNALS = _rx(
    r"\boverheat",
    r"\b(?:very|too|extremely|really) hot\b",
    r"\bburning\b",
    r"\bsmok(?:e|ing)\b",
    r"\bfire\b",
    r"\bflames?\b",
    r"\bsparks?\b",
    r"\bswell(?:ing|ed)?\b",
    r"\bbulg",
    r"\bmelt",
    r"\belectric(?:al)? shock\b",
    r"\bexplod",
    r"\binjur",
    r"\bhacked\b",
    r"\bfraud",
    r"\bunauthori[sz]ed\b",
    r"\bsomeone (?:else )?(?:logged|signed) in\b",
)
P2_SIGNALS = _rx(
    r"\bnot (?:yet )?(?:arrived|received|been delivered)",
    NOT_COME,
    r"\bno parcel\b",
    r"\bdelivered but\b",
    r"\bmissing\b",
    r"\blost\b",
    r"\bnot updated\b",
    r"\bhas not updated\b",
    r"\boverdue\b",
    r"\blate\b",
    r"\bdelayed\b",
    r"\barrived (?:damaged|broken|cracked|smashed|dented)",
    r"\b(?:crushed|cracked|smashed|shattered|dead on arrival)\b",
    r"\bdoes not turn on\b",
    r"\bdoesn'?t turn on\b",
    r"\bcancel(?:l)?ed\b.*\b(?:charge|charged|pending)\b",
    r"\bcharged? twice\b",
    r"\bdouble[- ]charged\b",
    r"\b(?:can't|cannot|can not|unable to) (?:sign|log) ?in\b",
    r"\blocked out\b",
    r"\b(?:can't|cannot) get (?:back )?into\b",
    r"\bbefore it ships\b",
    r"\bplease cancel\b",
    r"\bcancel (?:my |the |this )?order\b",
    r"\burgent",
    r"\basap\b",
    r"\bimmediately\b",
    r"\bnext week\b",
    r"\btomorrow\b",
    r"\bneed it (?:for|by)\b",
)
QUESTION_ONLY = _rx(
    r"\bhow much\b",
    r"\bdo you (?:ship|deliver|sell|have|offer)\b",
    r"\bis there any way\b",
    r"\bsooner\b",
    r"\bmembership\b",
    r"\brewards?\b",
    r"\bcustoms\b",
    r"\bquestion about\b",
    r"\bwondering\b",
)
