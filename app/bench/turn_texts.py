"""Benchmark messages: varied support text of about 1,000 characters with personal data in it.

Every message mixes a complaint, order details and the kind of personal data customers really
type (a relative's name, a phone number, an email address, a street address), so Presidio has
real entities to find. The values are invented; nothing here is anyone's data.
"""

from __future__ import annotations

import random

_NAMES = (
    "Maria Lopez", "James O'Connor", "Aisha Khan", "Tomasz Nowak", "Emily Carter",
    "Lukas Schneider", "Sofia Rossi", "Daniel Kim", "Hannah Becker", "Oliver Smith",
)  # fmt: skip
_STREETS = ("Maple Avenue", "King Street", "Harbour Road", "Elm Close", "Station Lane")
_CITIES = ("Leeds", "Bristol", "Manchester", "Glasgow", "Cardiff")
_PRODUCTS = (
    "Voltra X2 headphones", "HomeHub Mini", "Aurora 14 laptop", "Pulse speaker",
    "Lumen desk lamp", "Orbit smartwatch", "Nimbus router", "Vista 4K monitor",
)  # fmt: skip
_OPENERS = (
    "Hello, I am writing about an order that has gone wrong and I would like some help.",
    "Hi there, I have been waiting for a reply for a few days now and I am getting worried.",
    "Good morning, I need to sort out a problem with a recent purchase, please.",
    "Hello support team, I hope you can help me with something that happened last week.",
)
_CONTACT = "You can call me on {phone} any time after five, or email me at {email} if easier."
_NAMED = (
    "My partner {name} signed for a parcel but the box only had the charger, not the {product}.",
    "My neighbour {name} has the same model and says theirs was replaced within a week.",
    "Last time I contacted you, {name} from your team said someone would call me back.",
)
_SENTENCES = (
    "I ordered the {product} on the {day}th and the tracking page still says it is in transit.",
    "The delivery should go to {number} {street}, {city}, not to my old address any more.",
    "The {product} stopped charging after two weeks and the light just blinks orange.",
    "I already tried resetting it twice as the guide says, holding the button for ten seconds.",
    "Could you tell me whether this is covered by the warranty or if I need to pay for repairs?",
    "I was also charged twice on my card ending {card} for the same order, which is not right.",
    "If a refund is easier I am happy with that, as long as it arrives before the end of month.",
    "Please let me know what information you need from me and where to send the device.",
    "The order number should be on the confirmation email I got, I think it starts with ORD.",
    "I would prefer a courier pick-up because I work long hours and cannot get to a shop.",
)


def bench_message(index: int, *, length: int = 1000) -> str:
    """Message number ``index``: deterministic, varied, about ``length`` characters."""
    rng = random.Random(index)
    values = {
        "name": rng.choice(_NAMES),
        "product": rng.choice(_PRODUCTS),
        "day": rng.randint(2, 28),
        "phone": f"07{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
        "email": f"{rng.choice(_NAMES).split()[0].lower()}.{rng.randint(10, 99)}@example.net",
        "number": rng.randint(1, 220),
        "street": rng.choice(_STREETS),
        "city": rng.choice(_CITIES),
        "card": rng.randint(1000, 9999),
    }
    pool = list(_SENTENCES)
    rng.shuffle(pool)
    # Every message carries contact details and a third person's name early on, where the cut
    # to ``length`` cannot drop them; the order of the rest varies.
    personal = [_CONTACT, rng.choice(_NAMED)]
    rng.shuffle(personal)
    parts = [rng.choice(_OPENERS), *(p.format(**values) for p in personal)]
    while len(" ".join(parts)) < length:
        if not pool:
            pool = list(_SENTENCES)
            rng.shuffle(pool)
        parts.append(pool.pop().format(**values))
    text = " ".join(parts)[:length]
    # End on a whole word: the check and the entity recognisers see ordinary text.
    return text.rsplit(" ", 1)[0].rstrip(",") + "."


def bench_messages(count: int, *, length: int = 1000, start: int = 0) -> list[str]:
    """``count`` distinct messages (see ``bench_message``)."""
    return [bench_message(start + i, length=length) for i in range(count)]
