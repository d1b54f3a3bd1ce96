"""Generate tests/data/pii_eval.jsonl, the labelled PII evaluation set (deterministic).

Run from the repository root: ``.venv/bin/python -m tests.data.make_pii_eval_set``.

Composition (1,400 messages, 0.5 MB):
- 1,050 chat-style support messages to an electronics retailer that hold personal data, from 81
  templates (order problems, refunds, address changes, account access, billing, warranty,
  delivery, data requests, agents' notes) used round-robin in a shuffled order, about 12 messages
  each; 105 of them are long (400-600 characters), joined from 3-5 templates about one person.
- 350 ordinary messages with NO personal data, from 46 templates (product questions naming the
  catalog's products, weekdays, plain dates such as "since Monday", "on 3 March" or "2026-10-02",
  cities, countries, prices), about 7 each; 35 of them are long. A city alone is not personal data.
- Labelled values: PERSON 773, ORDER_ID 461, EMAIL_ADDRESS 357, PHONE_NUMBER 291, POSTCODE 288,
  CUSTOMER_ID 256, STREET_ADDRESS 255, TICKET_ID 175, ACCOUNT_NUMBER 169, CREDIT_CARD 130,
  IP_ADDRESS 127, DATE_OF_BIRTH 121, IBAN_CODE 111 (the run prints them).
- Eight Faker locales in turn (en_US, en_GB, de_DE, fr_FR, es_ES, it_IT, nl_NL, en_IN); the
  messages are in English, the names, phones, addresses, IBANs and formats are the locale's.
- Names appear Capitalised (60%), lower-case (25%) or in CAPITALS (15%), chosen per message.

Labels: PERSON (a full name, or a first or last name alone), EMAIL_ADDRESS, PHONE_NUMBER (local
and international forms), CREDIT_CARD (Luhn-valid), IBAN_CODE, IP_ADDRESS (public v4, v6),
STREET_ADDRESS (street and number only), POSTCODE, DATE_OF_BIRTH (the date only), ACCOUNT_NUMBER
(the digits only), ORDER_ID, TICKET_ID, CUSTOMER_ID. Cities, countries, products, amounts and
plain dates are never labelled. Each line: {"id", "locale", "text", "entities": [{"type",
"start", "end", "value"}]} with ``text[start:end] == value``.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from collections import Counter
from pathlib import Path

from faker import Faker

from app.demo.catalog import PRODUCTS

SEED = 20261125
OUTPUT = Path(__file__).resolve().parent / "pii_eval.jsonl"
LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "en_IN")
PII_MESSAGES, NO_PII_MESSAGES = 1050, 350
LONG_SHARE = 0.1
LONG_MIN, LONG_MAX = 400, 600
COUNTRY_CODE = {"en_US": "1", "en_GB": "44", "de_DE": "49", "fr_FR": "33", "es_ES": "34"}
COUNTRY_CODE |= {"it_IT": "39", "nl_NL": "31", "en_IN": "91"}
CURRENCY = {"en_US": "$", "en_GB": "£", "en_IN": "₹"}
CARD_TYPES = ("visa16", "visa16", "mastercard", "mastercard", "amex", "discover", "jcb16")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS: tuple[str, ...] = ("January", "February", "March", "April", "May", "June", "July")
MONTHS += ("August", "September", "October", "November", "December")
CENTS = ("00", "99", "49")
IBAN_GB_LENGTH = 22
SLOT_RE = re.compile(r"\{(\w+)\}")

Segment = tuple[str, str | None]  # (text, entity type or None)

CITIES: dict[str, tuple[str, ...]] = {
    "en_US": ("Chicago", "Denver", "Austin", "Seattle", "Boston", "Phoenix"),
    "en_GB": ("Manchester", "Leeds", "Bristol", "Glasgow", "Cardiff", "Norwich"),
    "de_DE": ("Berlin", "Hamburg", "München", "Köln", "Leipzig", "Dresden"),
    "fr_FR": ("Lyon", "Paris", "Toulouse", "Lille", "Nantes", "Bordeaux"),
    "es_ES": ("Madrid", "Sevilla", "Valencia", "Bilbao", "Zaragoza", "Málaga"),
    "it_IT": ("Milano", "Roma", "Torino", "Bologna", "Napoli", "Firenze"),
    "nl_NL": ("Utrecht", "Rotterdam", "Amsterdam", "Eindhoven", "Groningen", "Leiden"),
    "en_IN": ("Pune", "Mumbai", "Bengaluru", "Chennai", "Hyderabad", "Jaipur"),
}
COUNTRIES = ("Ireland", "Belgium", "Austria", "Portugal", "Canada", "Switzerland", "Poland")

# Messages holding personal data: each has at least one labelled slot.
PII_TEMPLATES: tuple[str, ...] = (
    # Order problems
    "Hi, this is {name}. My order {order} still hasn't arrived, due {plain_date}. Can you check?",
    "hey its {name} here, order {order} shows delivered but nothing came. my number is {phone}",
    "Order {order} arrived with a cracked {product}. Please call me on {phone_intl}. {name}",
    "I ordered the {product} ({order}) as a gift for {first2} and got the wrong colour.",
    "Can you send the tracking link for {order} to {email}? Thanks, {first}",
    "My name is {name}, customer {customer}. Two items are missing from order {order}.",
    "{name} - {order} - parcel was left at the wrong door, I live at {address}. Who do I talk to?",
    "the courier says {order} cant be delivered to {street}. postcode is {postcode}, typo maybe?",
    "Where is my {product}?? Ordered {plain_date}, order number {order}, email {email}",
    # Refunds
    "I returned the {product} {plain_date}, still no refund. Order {order}, paid with card {card}.",
    "Please refund order {order} to my IBAN {iban}, account holder {name}.",
    "Hi, it's {first} again, {ticket}: the refund of {amount} never reached account no. {account}.",
    "refund for {order} pls, i paid with {card} and the charge is still there. {email}",
    "Could the refund go to a different account? IBAN {iban}. My customer number is {customer}.",
    "I was told on {ticket} that the refund was approved. Can you confirm to {email}? - {name}",
    "My refund for {order} went to {name2}'s card by mistake, please fix it. I'm {name}.",
    # Address changes
    "I've moved. New address: {address}. Please update it for order {order}.",
    "Can you change the delivery address on {order} to {address}? Thanks, {name}",
    "please ship to {street}, postcode {postcode} instead, im not at home {weekday}",
    "Update my billing address to {address} and my phone to {phone}. Customer {customer}.",
    "Is it too late to change the address? It should be {street}, {city}. Order {order}. {name}",
    "The address on my account is wrong, the postcode should be {postcode}, not what you have.",
    "Send the replacement to my office instead: {address}, attention {name}.",
    # Account access
    "I can't log in. My account email is {email} and my date of birth is {dob}.",
    "Locked out of my account - {name}, DOB: {dob}, email {email}",
    "I never asked for a password reset but got one at {email}. The login came from {ipv4}!",
    "Your site blocks me, it says my IP {ipv4} is suspicious. Account {customer}.",
    "Login alert mentions {ipv6} which I don't recognise. Please lock account {customer} - {name}",
    "hi i forgot which email i used, maybe {email} or {email2}? name is {name}, born {dob}",
    "For verification: full name {name}, born {dob}, postcode {postcode}.",
    "Two-factor codes go to an old number. Please change it to {phone_intl}. I'm {name}.",
    "my wife {name2} can't log into our shared account, the email on it is {email2}",
    # Billing
    "I was charged twice for {order}. Card {card}, my statement shows two payments of {amount}.",
    "Please don't store my card {card} any more. Customer {customer}.",
    "The direct debit for my protection plan should come from {iban}, not the old account.",
    "Invoice for {order} should be addressed to {name}, {address}.",
    "My bank says the payment from account no. {account} to you bounced. Ticket {ticket}.",
    "Why was account {account} debited {amount} {plain_date}? I'm {name}, reach me at {phone}.",
    "Can I pay the rest by bank transfer? My IBAN is {iban} if you need it for a refund later.",
    "Chargeback on card {card} was not me, please check order {order}.",
    "My old card {card} expired. Please update customer {customer}, the new one is on the way.",
    "Payment from IBAN {iban} for {order} - {amount}. Please confirm you got it.",
    "My account number is {account}, the bill shows {amount} but it should be zero.",
    "Bank account no. {account} was closed, please use IBAN {iban} instead.",
    "acct number {account} is my business one, please use the personal one {account2}",
    # Warranty and repair
    "My {product} stopped charging after 3 months. Ticket {ticket}. Collect it from {address}.",
    "The repair centre has my {product}, ticket {ticket}. Call {phone} when it's ready. {name}",
    "I'm {name} and my {product} has a dead pixel. Bought it with order {order}.",
    "warranty claim for {product}, order {order}, email {email}, phone {phone}",
    "The replacement {product} from {ticket} is faulty too. I'm {first}, same number {phone}.",
    # Delivery
    "Please leave the parcel with my neighbour {name2} at {street}.",
    "The driver can call {first} on {phone} on arrival, the doorbell doesn't work.",
    "Delivery for {order}: gate code 4521, flat 3, {street}, {postcode}.",
    "Could the courier come {weekday}? I'm at {address} all day. {phone}",
    # Data requests
    "Under GDPR I want a copy of all data you hold on me: {name}, {email}, customer {customer}.",
    "Please delete my account {customer} and everything linked to {email} and {phone_intl}.",
    "Who gave you my number {phone}? I never signed up. My name is {name}.",
    "Stop sending marketing to {email} and {email2}, both are mine. {NAME}",
    # Technical, with addresses of devices
    "My Sentry camera can't be reached from outside, my public IP is {ipv4}. Ticket {ticket}.",
    "Firmware update fails on my {product}, the log shows connections from {ipv6}. {email}",
    "The HomeHub keeps saying another device at {ipv4} is using my account. Customer {customer}.",
    "{email} - can't reset my password, the link expired. Tried from IP {ipv6}.",
    # Agents' notes and replies
    "Customer {name} ({customer}) called about {order}, wants a callback on {phone}.",
    "Note: {name} verified with DOB {dob} and postcode {postcode}. Refund approved on {ticket}.",
    "Escalating {ticket}: customer says card {card} was charged after cancellation.",
    "Spoke to Ms {last} today, she will send the photos from {email}.",
    "Callback requested by {name} at {phone_intl} regarding {ticket}.",
    "Mr {last} ({customer}) disputes the charge on account {account}.",
    # Greetings, thanks, and everything at once
    "Thanks {agent}, that fixed it!",
    "Sorry {agent}, I gave you the wrong number, it's {phone}.",
    "Hi, I'm {first}. My partner {name2} placed order {order} but I'm the one at home.",
    "Is my account number {account} or is it the customer id {customer}? I'm confused.",
    "I was born on {dob}, can I still get the student discount on the {product}?",
    "My son {first2} (DOB {dob}) needs his own account, can I add him?",
    "i live at {address}, is same-day delivery available here?",
    "Hello from {city}! My postcode is {postcode}, do you deliver there on {weekday}?",
    "Contact me at {email} or {phone}, not the landline.",
    "Here's all my info: {name}, {address}, {phone}, {email}.",
    "ticket {ticket} - still no answer after 5 days. {name}",
    "Please merge my two accounts {customer} and {customer2}, same person ({name}).",
    "THIS IS {NAME} AND I AM STILL WAITING FOR MY REFUND ON {order}!!!",
)

# Ordinary support messages: no slot here may stand for personal data.
NO_PII_TEMPLATES: tuple[str, ...] = (
    "Does the {product} work with the {product2}?",
    "How long is the warranty on the {product}?",
    "My {product} won't turn on {plain_date}. I've tried charging it overnight.",
    "Do you deliver to {city} on {weekday}s?",
    "What's your returns window? I bought a {product} {plain_date}.",
    "Is the {product} back in stock? It has been sold out {plain_date}.",
    "The {product} battery drains in 3 hours, is that normal?",
    "Can I return an opened {product} if I don't like it?",
    "How do I factory reset the {product}?",
    "Is there a store in {city} where I can try the {product}?",
    "My parcel was supposed to come {weekday} but the tracking hasn't moved {plain_date}.",
    "What's the difference between the {product} and the {product2}?",
    "Will the {product} be on sale for Black Friday?",
    "The app says firmware 2.4.1 is available for my {product} but the update stops at 87%.",
    "how do i pair the {product} with my phone",
    "is the {product} compatible with a 65W charger",
    "I'd like to cancel my order please, I ordered by mistake this morning.",
    "Where can I find my invoice on the account page?",
    "Do you price match? I saw the {product} cheaper in a shop in {city}.",
    "Can I change the delivery day to {weekday}?",
    "What are your opening hours on {weekday}?",
    "How much is express shipping to {city}?",
    "The {product} arrived {plain_date} but the box was damaged. The product itself seems fine.",
    "My refund has been pending since {weekday}, how long does it usually take?",
    "Is it safe to leave the {product} charging overnight?",
    "THE {PRODUCT} KEEPS DISCONNECTING, THIS IS THE THIRD TIME THIS WEEK",
    "thanks, that worked! have a nice {weekday}",
    "Can I get a student discount on the {product}?",
    "Do you ship to {country}? I'd like the {product} sent to my family there.",
    "My order hasn't shipped yet, it's been 4 days. Can I still add a {product}?",
    "Is the {product} waterproof? I want to use it at the gym.",
    "Which charger do I need for the {product}?",
    "Does the price of {amount} include VAT? I'm ordering from {city}.",
    "I'm on holiday from {weekday}, can the delivery wait until I'm back?",
    "The screen on my {product} flickers when brightness is below 30%.",
    "How do I set up two-factor authentication on my account?",
    "Can I pick up my order in {city} instead of having it delivered?",
    "The {product} has been stuck on the logo screen since {weekday} morning.",
    "Do gift cards expire? I got one for {amount} {plain_date}.",
    "What is the warranty if I buy the {product} refurbished?",
    "Can I pay for the {product} in 3 instalments?",
    "Is {weekday} delivery free for Plus members?",
    "Your delivery partner in {city} never rings the bell, can you use another courier?",
    "Does the {product} come with a USB-C cable?",
    "Is it normal that the {product} gets warm while charging? It started {plain_date}.",
    "We are moving from {city} to {city2} next month, can I change my default store later?",
)


def _one_line(text: str) -> str:
    """Collapse Faker's multi-line or padded values into single-spaced text."""
    return " ".join(text.split())


def _ascii(text: str) -> str:
    """Letters of ``text`` without accents or anything but a-z, for email local parts."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", plain.lower())


def _iban_check(iban: str) -> int:
    """ISO 13616 mod-97 remainder of ``iban`` (1 for a valid one)."""
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97


def _valid_iban(fake: Faker, rng: random.Random) -> str:
    """The locale's IBAN; Faker's en_IN ones are a character short, so those get a GB one."""
    iban = str(fake.iban())
    if iban.startswith("GB") and len(iban) != IBAN_GB_LENGTH:
        bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4))
        bban += "".join(rng.choice("0123456789") for _ in range(14))
        iban = f"GB{98 - _iban_check('GB00' + bban):02d}{bban}"
    assert _iban_check(iban) == 1, iban
    return iban


class Persona:
    """One message's person and everything personal about them, drawn once per message."""

    def __init__(self, fake: Faker, locale: str, rng: random.Random) -> None:
        self.locale = locale
        self.form = rng.choices(("cap", "lower", "upper"), weights=(60, 25, 15))[0]
        self.first, self.last = fake.first_name(), fake.last_name()
        self.first2, self.last2 = fake.first_name(), fake.last_name()
        self.agent = fake.first_name()
        self.email = self._email(fake, rng, self.first, self.last)
        self.email2 = fake.ascii_free_email()
        self.phone = self._local_phone(fake)
        self.phone_intl = self._international(self._local_phone(fake), rng)
        self.card = self._card(fake, rng)
        iban = _valid_iban(fake, rng)
        self.iban = iban if rng.random() < 0.6 else " ".join(re.findall(".{1,4}", iban))
        self.ipv4, self.ipv6 = fake.ipv4_public(), fake.ipv6()
        self.street, self.postcode = _one_line(fake.street_address()), _one_line(fake.postcode())
        self.city = rng.choice(CITIES[locale])
        self.state = fake.state_abbr() if locale == "en_US" else ""
        self.dob = self._dob(fake, rng)
        self.account = "".join(rng.choice("0123456789") for _ in range(rng.choice((8, 8, 10, 12))))
        self.account2 = "".join(rng.choice("0123456789") for _ in range(8))
        self.order, self.ticket = (
            f"ORD-2{rng.randrange(100000):05d}",
            f"TCK-3{rng.randrange(100000):05d}",
        )
        self.customer = f"CUS-1{rng.randrange(10000):04d}"
        self.customer2 = f"CUS-1{rng.randrange(10000):04d}"

    def cased(self, name: str) -> str:
        """``name`` in this message's form: as written, lower-case or capitals."""
        return {"cap": name, "lower": name.lower(), "upper": name.upper()}[self.form]

    @staticmethod
    def _email(fake: Faker, rng: random.Random, first: str, last: str) -> str:
        """Half the time built from the person's name, as many real addresses are."""
        if rng.random() < 0.5:
            return str(fake.ascii_free_email())
        sep = rng.choice((".", "_", ""))
        number = rng.choice(("", "", str(rng.randrange(1, 99))))
        return f"{_ascii(first)}{sep}{_ascii(last)}{number}@{fake.free_email_domain()}"

    @staticmethod
    def _local_phone(fake: Faker) -> str:
        """A phone number in the locale's own format, without extensions."""
        while True:
            number = str(fake.phone_number())
            if "x" not in number.lower():
                return number

    def _international(self, local: str, rng: random.Random) -> str:
        """The number with the country code, the way people write it across borders."""
        if local.startswith("+"):
            return local
        digits = "".join(ch for ch in local if ch.isdigit()).lstrip("0")
        if self.locale == "en_US" and len(digits) == 11:
            digits = digits[1:]
        groups = [digits[:3], digits[3:6], digits[6:]]
        prefix = rng.choice((f"+{COUNTRY_CODE[self.locale]}", f"00{COUNTRY_CODE[self.locale]}"))
        return " ".join([prefix, *(g for g in groups if g)])

    @staticmethod
    def _card(fake: Faker, rng: random.Random) -> str:
        """A valid card number, plain or grouped the way it is printed on the card."""
        number = str(fake.credit_card_number(card_type=rng.choice(CARD_TYPES)))
        style = rng.choice(("plain", "spaces", "spaces", "dashes"))
        if style == "plain":
            return number
        cuts = (4, 10) if len(number) == 15 else tuple(range(4, len(number), 4))
        parts = [number[a:b] for a, b in zip((0, *cuts), (*cuts, len(number)), strict=True)]
        return (" " if style == "spaces" else "-").join(parts)

    def _dob(self, fake: Faker, rng: random.Random) -> str:
        """A date of birth in one of the forms people type."""
        d = fake.date_of_birth(minimum_age=16, maximum_age=85)
        day_first = f"{d.day:02d}/{d.month:02d}/{d.year}"
        forms = [
            f"{d.month:02d}/{d.day:02d}/{d.year}" if self.locale == "en_US" else day_first,
            d.isoformat(),
            f"{d.day:02d}.{d.month:02d}.{d.year}",
            f"{d.day} {MONTHS[d.month - 1]} {d.year}",
            f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
        ]
        return rng.choice(forms)

    def address(self) -> list[Segment]:
        """Street, city and postcode in the order the locale writes them."""
        street: Segment = (self.street, "STREET_ADDRESS")
        postcode: Segment = (self.postcode, "POSTCODE")
        if self.locale == "en_US":
            return [street, (f", {self.city}, {self.state} ", None), postcode]
        if self.locale in ("en_GB", "en_IN"):
            return [street, (f", {self.city} ", None), postcode]
        return [street, (", ", None), postcode, (f" {self.city}", None)]


def _plain_date(rng: random.Random) -> str:
    """A date that is not anyone's birthday: delivery days, purchase dates."""
    day, month = rng.randrange(1, 29), rng.choice(MONTHS)
    return rng.choice(
        (
            f"on {day} {month}",
            f"since {rng.choice(WEEKDAYS)}",
            f"last {rng.choice(WEEKDAYS)}",
            f"on {month} {day}",
            f"on 2026-{rng.randrange(1, 12):02d}-{day:02d}",
            f"on the {day}th" if day > 3 else "on the 3rd",
            "yesterday",
            "two weeks ago",
        )
    )


def _slot(name: str, p: Persona, rng: random.Random, fake: Faker) -> list[Segment]:
    """The text (and label) a template slot stands for in this message."""
    personal: dict[str, Segment] = {
        "name": (p.cased(f"{p.first} {p.last}"), "PERSON"),
        "first": (p.cased(p.first), "PERSON"),
        "last": (p.cased(p.last), "PERSON"),
        "name2": (p.cased(f"{p.first2} {p.last2}"), "PERSON"),
        "first2": (p.cased(p.first2), "PERSON"),
        "agent": (p.cased(p.agent), "PERSON"),
        "NAME": (f"{p.first} {p.last}".upper(), "PERSON"),
        "email": (p.email, "EMAIL_ADDRESS"),
        "email2": (p.email2, "EMAIL_ADDRESS"),
        "phone": (p.phone, "PHONE_NUMBER"),
        "phone_intl": (p.phone_intl, "PHONE_NUMBER"),
        "card": (p.card, "CREDIT_CARD"),
        "iban": (p.iban, "IBAN_CODE"),
        "ipv4": (p.ipv4, "IP_ADDRESS"),
        "ipv6": (p.ipv6, "IP_ADDRESS"),
        "street": (p.street, "STREET_ADDRESS"),
        "postcode": (p.postcode, "POSTCODE"),
        "dob": (p.dob, "DATE_OF_BIRTH"),
        "account": (p.account, "ACCOUNT_NUMBER"),
        "account2": (p.account2, "ACCOUNT_NUMBER"),
        "order": (p.order, "ORDER_ID"),
        "ticket": (p.ticket, "TICKET_ID"),
        "customer": (p.customer, "CUSTOMER_ID"),
        "customer2": (p.customer2, "CUSTOMER_ID"),
    }
    if name in personal:
        return [personal[name]]
    if name == "address":
        return p.address()
    product = rng.choice(PRODUCTS).name
    plain = {
        "product": product if rng.random() < 0.8 else product.lower(),
        "product2": rng.choice(PRODUCTS).name,
        "PRODUCT": product.upper(),
        "city": p.city,
        "city2": rng.choice(CITIES[p.locale]),
        "country": rng.choice(COUNTRIES),
        "weekday": rng.choice(WEEKDAYS),
        "plain_date": _plain_date(rng),
        "amount": f"{CURRENCY.get(p.locale, '€')}{rng.randrange(9, 1900)}.{rng.choice(CENTS)}",
    }
    return [(plain[name], None)]


def _fill(templates: list[str], p: Persona, rng: random.Random, fake: Faker) -> dict[str, object]:
    """Join the filled templates into one message with exact entity offsets."""
    text, entities = "", []
    for template in templates:
        if text:
            text += " "
        position = 0
        for match in SLOT_RE.finditer(template):
            text += template[position : match.start()]
            for value, entity_type in _slot(match.group(1), p, rng, fake):
                if entity_type is not None:
                    entities.append(
                        {"type": entity_type, "start": len(text), "end": len(text) + len(value)}
                        | {"value": value}
                    )
                text += value
            position = match.end()
        text += template[position:]
    for e in entities:
        assert text[int(str(e["start"])) : int(str(e["end"]))] == e["value"], (text, e)
    assert "\n" not in text
    return {"locale": p.locale, "text": text, "entities": entities}


def _long(pool: list[str], p: Persona, rng: random.Random, fake: Faker) -> dict[str, object]:
    """A 400-600 character message joined from several templates about the same person."""
    for _ in range(200):
        chosen: list[str] = []
        message = _fill(chosen, p, rng, fake)
        for template in rng.sample(pool, 8):
            candidate = _fill([*chosen, template], p, rng, fake)
            if len(str(candidate["text"])) > LONG_MAX:
                continue
            chosen.append(template)
            message = candidate
            if len(str(message["text"])) >= LONG_MIN:
                return message
    raise RuntimeError("could not compose a long message")


def _messages(
    kind: str, count: int, rng: random.Random, fakers: dict[str, Faker]
) -> list[dict[str, object]]:
    """``count`` messages of one kind, templates used evenly in a shuffled round-robin."""
    pool = list(PII_TEMPLATES if kind == "pii" else NO_PII_TEMPLATES)
    order = [pool[i % len(pool)] for i in range(count)]
    rng.shuffle(order)
    long_count = round(count * LONG_SHARE)
    result = []
    for index, template in enumerate(order):
        locale = LOCALES[index % len(LOCALES)]
        fake = fakers[locale]
        persona = Persona(fake, locale, rng)
        if index < long_count:
            result.append(_long(pool, persona, rng, fake))
        else:
            result.append(_fill([template], persona, rng, fake))
    return result


def generate() -> list[dict[str, object]]:
    """Every message of the set, in a fixed shuffled order, ids from 1."""
    rng = random.Random(SEED)
    fakers = {}
    for number, locale in enumerate(LOCALES):
        fakers[locale] = Faker(locale)
        fakers[locale].seed_instance(SEED + number)
    messages = _messages("pii", PII_MESSAGES, rng, fakers)
    messages += _messages("clean", NO_PII_MESSAGES, rng, fakers)
    for message in messages[PII_MESSAGES:]:
        assert not message["entities"], message
    rng.shuffle(messages)
    return [{"id": n, **m} for n, m in enumerate(messages, start=1)]


def main() -> None:
    """Write the set and print its composition."""
    messages = generate()
    with OUTPUT.open("w", encoding="utf-8") as out:
        for message in messages:
            out.write(json.dumps(message, ensure_ascii=False) + "\n")
    types = Counter(str(e["type"]) for m in messages for e in m["entities"])  # type: ignore[attr-defined]
    clean = sum(1 for m in messages if not m["entities"])
    long = sum(1 for m in messages if len(str(m["text"])) >= LONG_MIN)
    print(f"{len(messages)} messages, {clean} without personal data, {long} of 400+ characters")
    print(f"{OUTPUT.stat().st_size / 1e6:.2f} MB -> {OUTPUT}")
    for entity_type, count in types.most_common():
        print(f"  {entity_type:<16}{count:>6}")


if __name__ == "__main__":
    main()
