"""Street addresses and postcodes in US, UK and continental European formats."""

from __future__ import annotations

import re

from guardrails.everyday_terms import ABBREVIATIONS, CITIES
from guardrails.recognizers.context_pattern import ContextPatternRecognizer, ValuePattern

_HOUSE_NUMBER = r"\d{1,5}[a-z]?(?:-\d{1,5})?"
_WORD = r"[^\W\d_][\w'’-]*"
_CAP_WORD = r"(?-i:[^\W\d_a-zß-ÿ])[\w'’-]*"  # starts with an upper-case letter
_EN_SUFFIX = (
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|place|pl|terrace"
    r"|way|close|crescent|square|sq|parkway|pkwy|highway|hwy|circle|cir|trail|row|mews|gardens"
    r"|grove|walk)"
)
# USPS street suffixes beyond the common ones: an address in these needs a capitalised name.
_EN_SUFFIX_MORE = (
    r"(?-i:(?:Alley|Bend|Bluffs?|Bottom|Branch|Bridge|Brooks?|Burgs?|Bypass|Camp|Canyon|Cape"
    r"|Causeway|Centers?|Circles|Cliffs?|Club|Common|Corners?|Course|Courts|Coves?|Creek|Crest"
    r"|Crossing|Crossroad|Curve|Dale|Dam|Divide|Drives|Estates?|Expressway|Extensions?|Falls?"
    r"|Ferry|Fields?|Flats?|Fords?|Forest|Forges?|Forks?|Fort|Freeway|Garden|Gateway|Glens?"
    r"|Greens?|Groves|Harbors?|Haven|Heights|Hills?|Hollow|Inlet|Islands?|Isle|Junctions?|Keys?"
    r"|Knolls?|Lakes?|Land|Landing|Lights?|Loaf|Locks?|Lodge|Loop|Mall|Manors?|Meadows?|Mills?"
    r"|Mission|Motorway|Mount|Mountains?|Neck|Orchard|Oval|Overpass|Parks?|Parkways|Pass|Passage"
    r"|Path|Pike|Pines?|Plains?|Plaza|Points?|Ports?|Prairie|Radial|Ramp|Ranch|Rapids?|Rest"
    r"|Ridges?|River|Roads|Route|Run|Shoals?|Shores?|Skyway|Springs?|Spurs?|Squares|Station"
    r"|Stravenue|Stream|Streets|Summit|Throughway|Trace|Track|Trafficway|Tunnel|Turnpike"
    r"|Underpass|Unions?|Valleys?|Via|Viaduct|Views?|Villages?|Ville|Vista|Walks|Wall|Ways|Wells?"
    r"))"
)
_UNIT = r"(?:,?\s*(?:apt|apartment|suite|ste|unit|flat|floor|fl|room|#)\.?\s*#?\s*\d{1,5}[a-z]?\b)?"
_ES_UNIT = r"(?:,?\s*(?:piso|puerta|planta|escalera|esc\.|bajo|apt\.?)\s*\d{0,3}[a-zº°]?\b)?"
_NOT_A_QUANTITY = r"(?!\s*(?:days?|weeks?|months?|hours?|minutes?|times|items?|units?|x)\b)"

STREET_PATTERNS = [
    # "1234 Elm Street, Apt 5", "221B Baker Street", "350 5th Ave"
    ValuePattern(
        "number then street",
        rf"(?<![\w.,/-]){_HOUSE_NUMBER}\s+(?P<value_name>(?:(?:{_WORD}|\d{{1,3}}(?:st|nd|rd|th))"
        rf"\.?\s+){{1,3}}){_EN_SUFFIX}\b\.?{_UNIT}",
        0.55,
    ),
    # "1234 Smith Mountains Apt. 5", "88 Oak Ridge": rarer suffixes, capitalised
    ValuePattern(
        "number then capitalised street",
        rf"(?<![\w.,/-]){_HOUSE_NUMBER}\s+(?:{_CAP_WORD}\s+){{1,3}}{_EN_SUFFIX_MORE}\b\.?{_UNIT}",
        0.5,
    ),
    # "Hauptstraße 12", "Kerkstraat 4", "Lindenallee 3a": unambiguous compound endings, any case
    ValuePattern(
        "compound street then number",
        r"(?<!\w)[^\W\d_][\w-]*?(?:straße|strasse|str\.|straat|gasse|allee|gracht|chaussee|laan"
        r"|steeg|singel|boulevard)\s+\d{1,4}(?:/\d{1,4}|-\d{1,4}|\s?[a-z](?!\w))?",
        0.6,
    ),
    # "Am Marktplatz 5", "Dorpsweg 7", "Berliner Straße 5": endings that need the capital
    ValuePattern(
        "capitalised street then number",
        rf"(?<!\w)(?:{_CAP_WORD}\s+(?-i:Straße|Strasse|Weg|Platz|Allee|Gasse|Ring|Markt)"
        rf"|(?-i:[A-ZÄÖÜ])[\w-]{{2,}}?(?-i:weg|platz|damm|ufer|plein|kade|dijk|markt|hof|dreef"
        rf"|park|pad|ring|baan|-Platz|-Weg|-Ring|-Straße|-Allee|-Gasse|-Damm))\s+\d{{1,4}}(?:/\d{{1,4}}|-\d{{1,4}}|\s?[a-z](?!\w))?"
        rf"{_NOT_A_QUANTITY}",
        0.55,
    ),
    # "12 rue de la Paix", "3 bis, boulevard Haussmann"
    ValuePattern(
        "number then French street",
        rf"(?<![\w.,/-])\d{{1,4}}(?:\s?(?:bis|ter))?,?\s+(?:rue|boulevard|impasse|chemin|allée|allee"
        rf"|quai|faubourg)\s+(?:(?:de|du|des|la|le|les|l'|d'|l’|d’)\s*){{0,3}}{_WORD}"
        rf"(?:[\s-]+{_CAP_WORD}){{0,3}}",
        0.6,
    ),
    ValuePattern(
        "number then French avenue",
        rf"(?<![\w.,/-])\d{{1,4}}(?:\s?(?:bis|ter))?,?\s+(?:avenue|place|route|cours|bd)\s+"
        rf"(?:(?:de|du|des|la|le|les|l'|d'|l’|d’)\s*){{0,3}}{_CAP_WORD}(?:[\s-]+{_CAP_WORD}){{0,3}}",
        0.55,
    ),
    # "Calle Mayor 5", "C/ de Alcalá, 23", "Avenida de la Constitución nº 12"
    ValuePattern(
        "Spanish street then number",
        rf"(?<!\w)(?:c/\s*|(?-i:C\.)\s+|(?:calle|avenida|avda\.?|plaza|pza\.?|paseo|camino|carretera|ronda"
        rf"|vial|bajada|pasadizo|via"
        rf"|travesía|travesia|rambla|glorieta|pasaje|vía|cuesta|acceso|alameda|callejón|cañada"
        rf"|urbanización|avinguda|carrer)\s+)(?:(?:de|del|la|las|los|el)\s+){{0,3}}{_WORD}"
        rf"(?:\s+(?:de|del|la|las|los|el|{_CAP_WORD})){{0,3}},?\s+(?:n[º°o]\.?\s*)?\d{{1,4}}"
        rf"(?:\s?[a-z](?!\w))?{_ES_UNIT}{_NOT_A_QUANTITY}",
        0.6,
    ),
    # "Via Roma 10", "Piazza della Signoria 5": the name must be capitalised ("sent via email 2")
    ValuePattern(
        "Italian street then number",
        rf"(?<!\w)(?:via|viale|piazza|piazzale|corso|largo|vicolo|strada|lungomare|borgo|contrada"
        rf"|rotonda|stretto|canale|incrocio)\s+"
        rf"(?:(?:della|delle|dei|degli|del|di|da|dell'|san|santa)\s*){{0,3}}(?-i:[A-Z][a-zà-ÿ])"
        rf"[\w'’-]*(?:\s+(?-i:[A-Z][a-zà-ÿ])[\w'’-]*){{0,2}},?\s+(?:n\.?\s*)?\d{{1,4}}[a-z]?\b"
        rf"{_NOT_A_QUANTITY}",
        0.55,
    ),
    # "22/45 Lad Marg", "H.No. 49 Char Zila", "72/76 Nigam Circle": Indian house and street names
    ValuePattern(
        "Indian house number then street",
        rf"(?<![\w.,/-])(?:h\.?\s?no\.?\s*)?\d{{1,4}}(?:/\d{{1,4}})?,?\s+(?:{_CAP_WORD}\s+){{1,2}}"
        rf"(?-i:Marg|Nagar|Chowk|Ganj|Path|Zila|Colony|Layout|Bagh|Puram|Halli|Peth|Gali|Mohalla"
        rf"|Enclave|Vihar|Circle|Road|Street)\b",
        0.55,
    ),
    # "rue Didier, 41113 Paris", "chemin Lévy, 71854": a French street named before its postcode
    ValuePattern(
        "French street before a postcode",
        rf"(?<!\w)(?:rue|boulevard|avenue|impasse|chemin|allée|quai|place|route)\s+"
        rf"(?:(?:de|du|des|la|le|les|l'|d'|l’|d’)\s*){{0,3}}{_CAP_WORD}(?:[\s-]+{_CAP_WORD}){{0,3}}"
        rf"(?=,?\s+\d{{5}}\b)",
        0.55,
    ),
    ValuePattern(
        "post office box",
        r"(?<!\w)(?:p\.?\s?o\.?\s?box|post\s+office\s+box|postfach|apartado)\s*\d{1,6}\b",
        0.6,
    ),
]

# Words that show "3 days at the park" or "2 boxes on the way" is a quantity, not an address.
_NOT_STREET_NAME_WORDS = frozenset(
    """
    the a an my your our his her their its this that these those and or but of to in on at for
    with from by about into as is are was were be been i you we they he she it me us them per
    more less than times days weeks months years hours minutes seconds items units pieces orders
    order boxes box pairs parcels packages euros dollars pounds percent extra other same
    different new old every each all some any few many last next more left
    """.split()  # noqa: SIM905
)


_NOT_STREETS = frozenset("notepad keypad touchpad trackpad mousepad launchpad".split())  # noqa: SIM905


def _plausible_street(value: str) -> bool:
    """False when a "number then street" match reads as a quantity ("5 days drive")."""
    if value.split()[0].casefold() in _NOT_STREETS:
        return False
    match = re.match(rf"{_HOUSE_NUMBER}\s+(.*)", value, re.IGNORECASE | re.DOTALL)
    if match is None:
        return True
    words = re.findall(r"[^\W\d_]+", match.group(1).casefold())
    return not any(w in _NOT_STREET_NAME_WORDS for w in words[:-1]) and len(words) >= 2


def street_address_recognizer() -> ContextPatternRecognizer:
    """STREET_ADDRESS: the street line (number, street, unit), never the city alone."""
    return ContextPatternRecognizer(
        "STREET_ADDRESS",
        STREET_PATTERNS,
        name="StreetAddressRecognizer",
        is_valid=_plausible_street,
    )


# The 121 UK postcode areas: "SW1A 1AA" counts, a product code like "X2 3RD" does not.
_UK_AREAS = frozenset(
    """
    AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY
    E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L LA LD LE
    LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL
    SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO ZE
    """.split()  # noqa: SIM905
)
_UK = r"[a-z]{1,2}\d[a-z\d]?\s?\d[abd-hjlnp-uw-z]{2}"
_NL = r"[1-9]\d{3}\s?(?-i:[A-Z]{2})"
# The USPS codes of the states, DC, the territories (AS GU MP PR VI) and the military (AA AE AP).
_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ"
    "|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|AS|GU|MP|PR|VI|AA|AE|AP"
)
_CITY_NAMES = "|".join(re.escape(c) for c in sorted(CITIES, key=len, reverse=True))
_NOT_A_CITY = r"(?!\s+(?:euros?|dollars?|pounds?|points|units|items|miles|steps|times|people))"

POSTCODE_PATTERNS = [
    ValuePattern("UK postcode", rf"(?<![\w-]){_UK}(?![\w-])", 0.5),
    ValuePattern("Dutch postcode", rf"(?<![\w.,-]){_NL}(?![\w-])", 0.45),
    ValuePattern("US ZIP+4", r"(?<![\w.,-])\d{5}-\d{4}(?![\w-])", 0.45),
    ValuePattern(
        "US state then ZIP",
        rf"(?-i:\b(?:{_US_STATES}))\.?\s+(?P<value>\d{{5}}(?:-\d{{4}})?)(?![\w-])",
        0.7,
    ),
    # "10115 Berlin", "75002 Paris", "28013 Madrid": five digits then a capitalised place name
    ValuePattern(
        "five digits then town",
        rf"(?<![\w.,/-])(?:[a-z]-)?(?P<value>\d{{5}})(?=\s+(?-i:[A-ZÄÖÜÉÈ][a-zäöüßéèàáíóúñç]{{2,}}))"
        rf"{_NOT_A_CITY}",
        0.45,
    ),
    # "Pune 160303", "Seattle, OH 05183": a code right after a known city
    ValuePattern(
        "city then code",
        rf"(?<!\w)(?:{_CITY_NAMES}),?\s+(?:(?-i:[A-Z]{{2}})\s+)?(?P<value>\d{{5,6}})(?![\w-])",
        0.6,
    ),
    ValuePattern(
        "after the word postcode",
        rf"\b(?:zip|zip\s?code|post\s?code|postal\s?code|plz|postleitzahl|code\s+postal|c\.?p\.?"
        rf"|cap|pin\s?code|pin)\b\s*(?:is|should\s+be|was|:|-|=|#)?\s*"
        rf"(?P<value>\d{{4,6}}(?:-\d{{4}})?|{_NL}|{_UK})(?![\w-])",
        0.75,
    ),
]

_UNIT_LETTERS = frozenset(a.upper() for a in ABBREVIATIONS if len(a) == 2) | frozenset(
    "SA SD SS AM PM MM CM KM KG HZ MP DB ML".split()  # noqa: SIM905
)
_ORDINAL_ENDINGS = ("st", "nd", "rd", "th")


def _plausible_postcode(value: str) -> bool:
    """Checks a UK area and rejects Dutch-looking "1000 MB" or "1080 HD" units."""
    compact = value.replace(" ", "")
    if re.fullmatch(r"\d{4}[A-Za-z]{2}", compact):
        return compact[4:].upper() not in _UNIT_LETTERS
    if re.fullmatch(_UK, value, re.IGNORECASE):
        area = re.match(r"[A-Za-z]+", value)
        letters = area.group(0).upper() if area else ""
        return letters in _UK_AREAS and not (
            value.islower() and value[-2:] in _ORDINAL_ENDINGS  # "b2 3rd"
        )
    return True


def postcode_recognizer() -> ContextPatternRecognizer:
    """POSTCODE: UK and Dutch postcodes, US ZIP codes and EU codes where context shows it."""
    return ContextPatternRecognizer(
        "POSTCODE", POSTCODE_PATTERNS, name="PostcodeRecognizer", is_valid=_plausible_postcode
    )
