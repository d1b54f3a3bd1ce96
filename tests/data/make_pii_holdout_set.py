"""Generate tests/data/pii_holdout.jsonl, a held-out labelled PII set (deterministic, seed 7301).

Run from the repository root: ``.venv/bin/python -m tests.data.make_pii_holdout_set``.

Provenance: written independently of the detector. Its author did not read guardrails/ nor the
templates of make_pii_eval_set.py; only the label names and the JSONL format were shared. It is
meant for checking the detector's figures on text its authors never looked at: do not tune on it.

Composition (600 messages, one per line):
- 450 chat-style messages, to or about an online electronics retailer, holding personal data, from
  69 templates of this file's own phrasing (complaints, delivery notes, account recovery, payment
  disputes, warranty claims, GDPR requests, agents' handover and fraud notes, chatty and terse
  styles, typos, missing punctuation, names mid-sentence and after "with", "from", "to", "by",
  names in lists, signatures in several styles), used round-robin in shuffled order.
- 150 messages (25%) with NO personal data, from 36 templates: product, shipping and returns
  questions naming cities, countries, weekdays, plain dates, prices, model numbers and counts.
- 13 Faker locales in turn, about 46 messages each: en_US, en_GB, en_IE, en_AU, de_DE, fr_FR,
  es_ES, it_IT, nl_NL, pt_PT, pl_PL, sv_SE, en_IN. The text is English; the names, phones,
  addresses, postcodes and IBANs are the locale's (Irish phones are made here, Faker has none).
- Names: Capitalised in 270 PII messages (60%), lower-case in 113 (25%), CAPITALS in 67 (15%);
  of the 453 PERSON values 268 are Capitalised, 115 lower-case, 70 CAPITALS. About half the
  lower-case messages are wholly lower-case (IDs and IBANs keep their case, as if pasted), 40% of
  the CAPITALS ones wholly in capitals. Some no-PII messages are lower-case or capitals too.
- Labelled values (the 450 PII messages hold 1,319): PERSON 453, ORDER_ID 201, PHONE_NUMBER 96,
  STREET_ADDRESS 86, POSTCODE 86, EMAIL_ADDRESS 84, TICKET_ID 73, CUSTOMER_ID 70,
  DATE_OF_BIRTH 46, IBAN_CODE 39, CREDIT_CARD 32, ACCOUNT_NUMBER 28, IP_ADDRESS 25 (run prints).

Labels: PERSON (full name, or first or last name alone, customers' and agents' alike),
EMAIL_ADDRESS, PHONE_NUMBER (national and international forms), CREDIT_CARD (Faker's Luhn-valid
numbers, some grouped in fours), IBAN_CODE (Faker's iban(), some grouped in fours), IP_ADDRESS
(public IPv4, some IPv6), STREET_ADDRESS (street and house number only, Faker's street_address()),
POSTCODE (Faker's postcode()), DATE_OF_BIRTH (the date only, where the text says it is a birth
date), ACCOUNT_NUMBER (digits only, where the text says it is an account number), ORDER_ID
(ORD-2xxxxx), TICKET_ID (TCK-3xxxxx), CUSTOMER_ID (CUS-1xxxx).
Not labelled: cities, countries, products, model numbers, prices, counts, weekdays, plain dates.
Spans are exact: every entity's text[start:end] == value is asserted before writing.
"""

import json
import random
import re
import unicodedata
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from faker import Faker

SEED = 7301
N_PII, N_CLEAN = 450, 150
OUT = Path(__file__).with_name("pii_holdout.jsonl")
CALLING = {  # locale -> country calling code, for typing a national number internationally
    "en_US": "1", "en_GB": "44", "en_IE": "353", "en_AU": "61", "de_DE": "49", "fr_FR": "33",
    "es_ES": "34", "it_IT": "39", "nl_NL": "31", "pt_PT": "351", "pl_PL": "48", "sv_SE": "46",
    "en_IN": "91",
}  # fmt: skip
LOCALES = list(CALLING)
CITIES = {
    "en_US": ["Denver", "Austin", "Chicago", "Portland"],
    "en_GB": ["Leeds", "Bristol", "Manchester", "Glasgow"],
    "en_IE": ["Cork", "Galway", "Dublin", "Limerick"],
    "en_AU": ["Perth", "Brisbane", "Melbourne", "Adelaide"],
    "de_DE": ["Köln", "Leipzig", "Hamburg", "Freiburg"],
    "fr_FR": ["Lyon", "Nantes", "Lille", "Toulouse"],
    "es_ES": ["Valencia", "Sevilla", "Bilbao", "Málaga"],
    "it_IT": ["Torino", "Bologna", "Napoli", "Verona"],
    "nl_NL": ["Utrecht", "Eindhoven", "Groningen", "Leiden"],
    "pt_PT": ["Porto", "Braga", "Coimbra", "Faro"],
    "pl_PL": ["Kraków", "Gdańsk", "Poznań", "Wrocław"],
    "sv_SE": ["Malmö", "Uppsala", "Göteborg", "Lund"],
    "en_IN": ["Pune", "Chennai", "Bengaluru", "Jaipur"],
}
COUNTRIES = ["Germany", "Ireland", "Portugal", "Sweden", "Poland", "Australia", "India", "Spain"]
PRODUCTS = [
    "Kestrel X2 headphones", "Lumen 4K projector", "Tessa robot vacuum", "ArcPad 11 tablet",
    "Brisk 65W charger", "Halo video doorbell", "Quill e-reader", "Vanta gaming mouse",
    "Strata 2TB SSD", "Corvo keyboard", "Pulse fitness watch", "Drift action camera",
]  # fmt: skip
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
PERSON_KEYS = {"name", "first", "last", "name2", "first2", "name3", "agent", "agent2"}
LABELS = dict.fromkeys(PERSON_KEYS, "PERSON") | {
    "email": "EMAIL_ADDRESS", "phone": "PHONE_NUMBER", "card": "CREDIT_CARD", "iban": "IBAN_CODE",
    "ip": "IP_ADDRESS", "street": "STREET_ADDRESS", "postcode": "POSTCODE", "dob": "DATE_OF_BIRTH",
    "acct": "ACCOUNT_NUMBER", "order": "ORDER_ID", "ticket": "TICKET_ID", "cus": "CUSTOMER_ID",
}  # fmt: skip
KEEP_CASE_IN_LOWER = {"iban", "order", "ticket", "cus"}  # pasted codes keep their case

PII_TEMPLATES = [
    "Hi, I'm {name} and this is the third time I'm writing about order {order}. The {product} "
    "arrived with a cracked screen. Call me on {phone} please.",
    "this is ridiculous. ordered {order} on {weekday}, still nothing. my email is {email} if "
    "anyone actually reads these. {first}",
    "Your courier left my parcel outside in the rain!!! Order {order}, address {street}, "
    "{postcode} {city}. Not happy.\n{name}",
    "Delivery note for {order}: if nobody answers please leave it with my neighbour {name2}. "
    "Ring {phone} first.",
    "Can you change the delivery address for {order} to {street}, {postcode} {city}? It's my "
    "office. Thanks, {name}",
    "pls deliver to {street} {postcode} not the old adress. order {order} cheers {first}",
    "The parcel for {order} was signed for by {name2} but I don't know who that is. I live at "
    "{street}, {city}.",
    "I can't log in. Account email is {email}, customer number {cus}. I've reset the password "
    "twice now.\n\n{name}",
    "Locked out of my account. Registered phone {phone}, date of birth {dob}. Name is {name}.",
    "hi i forgot which email i used, might be {email} or the old one. customer id {cus}, "
    "born {dob}",
    "For verification - name {name}, DOB {dob}, postcode {postcode}.",
    "We noticed a sign-in to the account of {name} ({cus}) from IP {ip}. Was this you?",
    "I was charged twice for {order} on card {card}. Please refund one of them. {name}",
    "Please refund to my bank account instead: IBAN {iban}, account holder {name}.",
    "Chargeback raised by {name} for {order} ({price}). Card on file {card}. See {ticket}.",
    "my bank says the payment went out from account number {acct} but your system says "
    "unpaid?? order {order}",
    "Refund for {ticket} should go to IBAN {iban} in the name of {name}",
    "Warranty claim: {product}, serial {model}, bought under {order}. Owner {name}, {street}, "
    "{postcode} {city}. Phone {phone}.",
    "Hi there, my {product} stopped charging after 9 months. Is it still under warranty? "
    "Order {order}. Thanks so much, {first}",
    "warranty repair for {name} - courier pickup from {street} on {weekday}, contact {phone}",
    "Under GDPR Article 15 I request a copy of all personal data you hold about me. Name: "
    "{name}. Email: {email}. Customer ID: {cus}.",
    "Please delete my account and all my data. {name}, {email}, date of birth {dob}. I no longer "
    "consent to marketing.",
    "Subject access request from {name} ({email}) logged as {ticket}, due within 30 days.",
    "Why do you have my IP address {ip} stored?? I never agreed to that. - {name}",
    "Handover: {ticket} - customer {name} ({cus}) waiting on a replacement for {order}. Spoke "
    "with {first} at {phone}, promised a callback {weekday}. Passing to {agent}.",
    "@{agent} can you take {ticket}? {name} is chasing a refund, IBAN on file {iban}",
    "note from {agent}: verified caller as {name}, dob {dob}, postcode {postcode}. ok to "
    "discuss {order}",
    "{ticket} reassigned to {agent} by {agent2}. Customer {last} prefers email: {email}",
    "Hiya! So I ordered the {product} for my husband {first2}'s birthday and it hasn't turned "
    "up yet 😅 it's order {order}, could you check? Thanks loads, {name} xx",
    "Good morning! Hope you're well. I'm writing on behalf of my mum, {name2}, who doesn't use "
    "email. Her number is {phone}. She ordered {order} last week.",
    "{order} not arrived. {phone}",
    "refund {order} to {iban}",
    "Cust {cus}. Email change -> {email}.",
    "new addr: {street}, {postcode}",
    "Yesterday your colleague {agent} told me the refund would take 3 days. It's been 10. "
    "Order {order}.",
    "Could you confirm that {name2} may collect order {order} on my behalf? My customer ID is "
    "{cus}.",
    "The invoice for {order} should be made out to {name} at {street}, {postcode} {city}, "
    "not to me.",
    "Authorised users on account {cus}: {name}, {name2} and {name3}.",
    "Gift orders:\n1) {name} - {street}, {postcode}\n2) {name2} - {phone}",
    "The screen flickers whenever I open the lid. Could you advise?\n\nKind regards,\n{name}\n"
    "{phone}",
    "Thanks for sorting it.\n-- \n{name} | {email} | {phone}",
    "ok thanks, will wait for the courier\n\n{first}\nSent from my phone",
    "Still waiting on {order}. Please advise.\nBest, {last}",
    "Mr {last} here, about order {order} again. Nobody called me back.",
    "helo, i ordred a {product} but recieved the wrong colour. my ordr is {order} and my "
    "emial {email}",
    "cant acces my acount, tryed everthing. customer numbr {cus} phone {phone}",
    "hi my name is {name} i live at {street} {postcode} and my parcel {order} went to the "
    "wrong house",
    "Your site blocked me, says suspicious activity from {ip}. I'm just at home! Account {email}",
    "Fraud check on {order}: billing IP {ip}, card {card}, name on card {name}. Looks fine, "
    "releasing.",
    "My account number is {acct}, can you tell me why my loyalty points vanished?",
    "Direct debit set up on account no. {acct} for {name}. Please sort out the {price} overcharge.",
    "I was born on {dob} so I'm definitely over 18, why does the age check fail? Name {name}.",
    "Customer {name}, d.o.b. {dob}, wants to apply for the store credit plan.",
    "I was on the phone with {agent} for an hour and still no fix. Ticket {ticket}.",
    "Got an email from {name2} in your returns team saying the {product} never came back. "
    "Tracking says it was delivered on {date}.",
    "Please send the replacement to {name2}, {street}, {postcode} {city}. It's a gift!",
    "Return was dropped off by {name} at the {city} post office on {date}. Reference {ticket}.",
    "Hi, this is {agent} from customer care, following up on {ticket}. Did the new charger fix "
    "it, {first}?",
    "Dear {name}, your replacement {product} for {order} ships on {weekday}. Regards, {agent}",
    "I'd like to pay by bank transfer, IBAN {iban}, because my card {card} keeps getting declined.",
    "Two accounts were merged by mistake: {cus} ({email}) and the one for {name2}. Please split "
    "them.",
    "Can {first2} pick it up? she's my daughter. order {order}, collection from the {city} store",
    "Update my phone to {phone} and my email to {email} please, the old ones no longer work. "
    "{name}",
    "EMERGENCY wrong card charged {card} stop the payment on {order} now!!! {phone}",
    "Escalated by {agent}. Customer {name} ({cus}) threatening small claims over {order}, "
    "{price}. Earlier ticket: {ticket}.",
    "hey it's {first} again lol. any news on {ticket}? same number {phone}",
    "Return label please, for {name} at {street}, {postcode}. Order {order}, reason: doesn't "
    "fit my desk",
    "tried ordering from the {country} site but the form rejects my postcode {postcode}. street "
    "is {street}. help",
    "Spoke to {last} in accounts, he said to forward the IBAN: {iban}. Account number {acct}.",
]
CLEAN_TEMPLATES = [
    "Does the {product} work with a 220V plug? I'm moving to {country} next month.",
    "How long does delivery to {city} usually take? I ordered {count} items on {weekday}.",
    "Is the {product} ({model}) back in stock? It's been sold out since {date}.",
    "Do you ship to {country}? And is there customs on a {price} order?",
    "The price dropped to {price} the day after I bought it. Do you price match?",
    "Will the store in {city} be open on {weekday}?",
    "I ordered {count} chargers but the box only had one in it.",
    "Is the {product} compatible with a Mac?",
    "whats the battery life on the {model}??",
    "Can I return something bought on {date} if the box is opened?",
    "Black Friday deal on the {product} - is {price} the final price incl. VAT?",
    "Does next-day delivery work on a {weekday} for {city}?",
    "how do i reset the {product}",
    "Hi, firmware update 2.4.1 on my {model} froze the screen. Any fix?",
    "Are refurbished units of the {product} covered by the same 2 year warranty?",
    "Do you have a pickup point near {city} train station?",
    "We're a small office in {city} and need {count} monitors. Any bulk discount?",
    "My parcel has been stuck in {city} since {date}, tracking hasn't updated. Is that normal?",
    "is it possible to pay in instalments for anything over {price}",
    "The manual for the {product} says {model} but the box says something else, which is right?",
    "Thanks for the quick help yesterday, all sorted!",
    "Can I change my delivery to {weekday} instead? No rush.",
    "Which cable do I need to connect the {product} to a TV?",
    "Do you deliver to the islands in {country}, or only the mainland?",
    "I've placed {count} orders this year and never had a problem until now, the app keeps "
    "crashing on Android 14.",
    "Will the {model} be restocked before {date}?",
    "Is {price} for the extended warranty worth it on a {product}?",
    "ok thanks",
    "The {city} warehouse dispatched it on {date}, expected {weekday}.",
    "What's your returns address for customers in {country}?",
    "Is Sunday delivery available in {city}? And does it cost more than {price}?",
    "do you sell the {product} in white or only black",
    "Is it true the {model} runs hot? thinking of buying {count} for the kids",
    "Order total came to {price} but the basket said less. VAT?",
    "Flew back from {city} on {date} and my {product} won't charge on UK plugs, normal?",
    "Are you closed on {weekday}s? Need to collect {count} parcels.",
]


def fold(s: str) -> str:
    """ASCII-fold a name for use in an e-mail address."""
    return re.sub(r"[^a-z]", "", unicodedata.normalize("NFKD", s).lower())


def fmt_date(d: date, rng: random.Random) -> str:
    return rng.choice(
        [d.isoformat(), f"{d:%d/%m/%Y}", f"{d:%d.%m.%Y}", f"{d.day} {d:%B %Y}",
         f"{d:%B} {d.day}, {d.year}", f"{d:%m/%d/%Y}"]
    )  # fmt: skip


def phone(fk: Faker, loc: str, rng: random.Random) -> str:
    if loc == "en_IE":
        num = f"8{rng.choice('35679')} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
        return rng.choice([f"0{num}", f"+353 {num}", f"00353 {num}"])
    p = re.sub(r"\s*x\d+$", "", fk.phone_number())
    if rng.random() < 0.3 and re.match(r"0[1-9]", p):
        p = f"+{CALLING[loc]} {p[1:]}"
    return p


def grouped(s: str, rng: random.Random, p: float) -> str:
    return " ".join(s[i : i + 4] for i in range(0, len(s), 4)) if rng.random() < p else s


def values_for(keys: set[str], fk: Faker, loc: str, rng: random.Random, case) -> dict[str, str]:
    def given() -> str:  # a few of Faker's first names carry an initial ("Hans D."): skip them
        return next(n for n in iter(fk.first_name, None) if "." not in n)

    first, last = given(), fk.last_name()
    people = {"first": first, "last": last, "name": f"{first} {last}", "first2": given()}
    people |= {"name2": f"{given()} {fk.last_name()}", "name3": f"{given()} {fk.last_name()}"}
    people |= {"agent": given(), "agent2": f"{given()} {fk.last_name()}"}
    d = date(2025, 1, 1) + timedelta(days=rng.randint(0, 690))
    gen = {
        "email": lambda: (
            f"{fold(first)}{rng.choice(['.', '_', ''])}{fold(last)}{rng.choice(['', '', '87'])}"
            f"@{fk.free_email_domain()}"
            if rng.random() < 0.5 and fold(first) and fold(last)
            else fk.email()
        ),
        "phone": lambda: phone(fk, loc, rng),
        "card": lambda: grouped(fk.credit_card_number(), rng, 0.4),
        "iban": lambda: grouped(fk.iban(), rng, 0.3),
        "ip": lambda: fk.ipv6() if rng.random() < 0.15 else fk.ipv4_public(),
        "street": lambda: fk.street_address().replace("\n", ", ").strip(),
        "postcode": lambda: fk.postcode(),
        "dob": lambda: fmt_date(fk.date_of_birth(minimum_age=18, maximum_age=85), rng),
        "acct": lambda: str(rng.randint(10**7, 10**12 - 1)),
        "order": lambda: f"ORD-2{rng.randint(0, 99999):05d}",
        "ticket": lambda: f"TCK-3{rng.randint(0, 99999):05d}",
        "cus": lambda: f"CUS-1{rng.randint(0, 9999):04d}",
        "city": lambda: rng.choice(CITIES[loc]),
        "country": lambda: rng.choice(COUNTRIES),
        "weekday": lambda: rng.choice(WEEKDAYS),
        "date": lambda: rng.choice([fmt_date(d, rng), f"{d.day} {d:%B}", f"{d:%A} the {d.day}"]),
        "price": lambda: f"{rng.choice('€£$')}{rng.randint(9, 1499)}.{rng.choice(['99', '00'])}",
        "product": lambda: rng.choice(PRODUCTS),
        "model": lambda: (
            f"{rng.choice(['KX', 'VT', 'HL', 'QR'])}-{rng.randint(100, 9999)}"
            + rng.choice(["", "B", "S"])
        ),
        "count": lambda: str(rng.randint(2, 12)),
    }
    return {k: case(people[k]) if k in PERSON_KEYS else gen[k]() for k in sorted(keys)}


def build(template: str, values: dict[str, str], style: str) -> tuple[str, list[dict]]:
    """Join the template's text and values, recording each labelled value's exact span."""
    text, entities = "", []
    for i, part in enumerate(re.split(r"\{(\w+)\}", template)):
        key = part if i % 2 else None
        seg = values[part] if key else part
        if style == "upper":
            seg = seg.upper()
        elif style == "lower" and key not in KEEP_CASE_IN_LOWER:
            seg = seg.lower()
        if key in LABELS:
            span = {"start": len(text), "end": len(text) + len(seg), "value": seg}
            entities.append({"type": LABELS[key], **span})
        text += seg
    return text, entities


def main() -> None:
    rng = random.Random(SEED)
    fakers = {loc: Faker(loc) for loc in LOCALES}
    for i, fk in enumerate(fakers.values()):
        fk.seed_instance(SEED + i)
    keys_of = lambda t: set(re.findall(r"\{(\w+)\}", t))  # noqa: E731
    assert all(keys_of(t) & LABELS.keys() for t in PII_TEMPLATES)
    assert not any(keys_of(t) & LABELS.keys() for t in CLEAN_TEMPLATES)
    pii, clean = PII_TEMPLATES[:], CLEAN_TEMPLATES[:]
    rng.shuffle(pii)
    rng.shuffle(clean)
    cases = ["cap"] * 270 + ["lower"] * 113 + ["upper"] * 67
    rng.shuffle(cases)
    jobs = [(pii[i % len(pii)], cases[i]) for i in range(N_PII)]
    jobs += [(clean[i % len(clean)], None) for i in range(N_CLEAN)]
    rng.shuffle(jobs)
    rows, counts = [], Counter()
    for n, (template, name_case) in enumerate(jobs):
        loc = LOCALES[n % len(LOCALES)]
        if name_case is None:
            style = rng.choices(["plain", "lower", "upper"], [78, 15, 7])[0]
        else:
            whole = rng.random() < {"cap": 0, "lower": 0.5, "upper": 0.4}[name_case]
            style = name_case if whole else "plain"
        case = {"cap": str, "lower": str.lower, "upper": str.upper, None: str}[name_case]
        values = values_for(keys_of(template), fakers[loc], loc, rng, case)
        text, entities = build(template, values, style)
        for e in entities:
            assert text[e["start"] : e["end"]] == e["value"], (text, e)
            counts[e["type"]] += 1
        rows.append({"id": n + 1, "locale": loc, "text": text, "entities": entities})
    with OUT.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} messages to {OUT}")
    print(f"no personal data: {sum(not r['entities'] for r in rows)}")
    for label, count in counts.most_common():
        print(f"  {label:15} {count}")


if __name__ == "__main__":
    main()
