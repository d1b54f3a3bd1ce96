"""Built-in name, address and phone data for the demo company's customers (no Faker)."""

from __future__ import annotations

import random
from dataclasses import dataclass

# fmt: off
# locale: (given names, family names, countries people of this locale live in with weights)
LOCALES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, int], ...]]] = {
    "en": (
        ("James", "Olivia", "Michael", "Emma", "Daniel", "Sophie", "Ryan", "Chloe", "Ethan",
         "Hannah", "Jack", "Grace", "Noah", "Amelia", "Liam", "Megan", "Oliver", "Lauren",
         "Thomas", "Jessica", "Samuel", "Abigail", "Benjamin", "Charlotte"),
        ("Smith", "Johnson", "Williams", "Brown", "Taylor", "Miller", "Davies", "Wilson", "Evans",
         "Thompson", "Walker", "Clarke", "Hughes", "Anderson", "Carter", "Bennett", "Murphy",
         "Mitchell", "Turner", "Parker", "Hart", "Reed", "Foster", "Sullivan"),
        (("US", 6), ("GB", 4)),
    ),
    "es": (
        ("José", "Lucía", "Javier", "María", "Alejandro", "Carmen", "Pablo", "Sofía", "Diego",
         "Elena", "Sergio", "Paula", "Andrés", "Marta", "Álvaro", "Isabel", "Raúl", "Nuria"),
        ("García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez",
         "Gómez", "Ruiz", "Díaz", "Moreno", "Muñoz", "Jiménez", "Navarro", "Romero", "Ortega"),
        (("ES", 7), ("US", 3)),
    ),
    "de": (
        ("Lukas", "Lena", "Jürgen", "Anna", "Felix", "Katrin", "Maximilian", "Sabine", "Jonas",
         "Julia", "Matthias", "Leonie", "Stefan", "Franziska", "Tobias", "Birgit", "Moritz"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
         "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Braun"),
        (("DE", 9), ("GB", 1)),
    ),
    "fr": (
        ("Élodie", "Benoît", "Camille", "Julien", "Manon", "Nicolas", "Chloé", "Mathieu",
         "Léa", "Antoine", "Amélie", "Hugo", "Céline", "Théo", "Inès", "François", "Margaux"),
        ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
         "Leroy", "Moreau", "Lefèvre", "Garnier", "Faure", "Rousseau", "Blanc", "Mercier"),
        (("FR", 8), ("ES", 1), ("GB", 1)),
    ),
    "in": (
        ("Priya", "Arjun", "Ananya", "Rohan", "Kavya", "Vikram", "Aditi", "Rahul", "Sneha",
         "Karthik", "Divya", "Siddharth", "Meera", "Aditya", "Pooja", "Nikhil", "Lakshmi"),
        ("Sharma", "Patel", "Iyer", "Reddy", "Nair", "Gupta", "Singh", "Kumar", "Mehta", "Rao",
         "Desai", "Menon", "Chatterjee", "Joshi", "Pillai", "Bhat", "Verma"),
        (("IN", 6), ("US", 2), ("GB", 2)),
    ),
    "zh": (
        ("Wei", "Mei", "Jun", "Li", "Hao", "Xin", "Yang", "Ying", "Jian", "Fang", "Lei", "Ting",
         "Chen", "Yu", "Ming", "Hui"),
        ("Zhang", "Wang", "Li", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu",
         "Sun", "Ma", "Zhu", "Hu", "Guo"),
        (("CN", 3), ("US", 4), ("GB", 2), ("DE", 1)),
    ),
    "ng": (
        ("Chinedu", "Ngozi", "Oluwaseun", "Adaeze", "Emeka", "Funmilayo", "Tunde", "Chiamaka",
         "Ifeanyi", "Yetunde", "Babatunde", "Amara", "Obinna", "Folake", "Kelechi", "Temitope"),
        ("Okafor", "Adeyemi", "Balogun", "Okonkwo", "Eze", "Adebayo", "Nwosu", "Ogunleye",
         "Obi", "Afolabi", "Okeke", "Olawale", "Chukwu", "Bello", "Adewale", "Ibekwe"),
        (("NG", 5), ("GB", 3), ("US", 2)),
    ),
}

LOCALE_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("en", 34), ("es", 14), ("de", 13), ("fr", 12), ("in", 11), ("zh", 8), ("ng", 8),
)

# country: (streets, (city, postcode prefix) pairs, email domains)
_ADDRESSES: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str], ...], tuple[str, ...]]] = {
    "US": (("Maple Avenue", "Oak Street", "Cedar Lane", "Washington Boulevard", "Pine Road",
            "Lakeview Drive", "Elm Street", "Sunset Avenue", "Highland Court", "Park Place"),
           (("Austin", "787"), ("Columbus", "432"), ("Denver", "802"), ("Seattle", "981"),
            ("Chicago", "606"), ("Atlanta", "303"), ("Portland", "972"), ("Boston", "021"),
            ("Phoenix", "850"), ("Raleigh", "276")),
           ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me")),
    "GB": (("High Street", "Mill Lane", "Church Road", "Station Road", "Victoria Road",
            "Queens Avenue", "Manor Way", "Park Crescent", "Kings Road", "Albert Street"),
           (("London", "SE"), ("Manchester", "M"), ("Leeds", "LS"), ("Bristol", "BS"),
            ("Birmingham", "B"), ("Glasgow", "G"), ("Nottingham", "NG"), ("Cardiff", "CF")),
           ("gmail.com", "outlook.com", "hotmail.co.uk", "btinternet.com", "icloud.com")),
    "DE": (("Hauptstraße", "Bahnhofstraße", "Gartenweg", "Lindenallee", "Schillerstraße",
            "Goethestraße", "Bergstraße", "Mozartweg", "Rosenstraße"),
           (("Berlin", "10"), ("München", "80"), ("Hamburg", "20"), ("Köln", "50"),
            ("Leipzig", "04"), ("Frankfurt am Main", "60"), ("Stuttgart", "70")),
           ("gmail.com", "web.de", "gmx.de", "t-online.de", "posteo.de")),
    "FR": (("rue de la République", "avenue Victor Hugo", "rue des Lilas", "boulevard Voltaire",
            "rue Pasteur", "rue du Moulin", "avenue Jean Jaurès", "place de la Mairie"),
           (("Paris", "750"), ("Lyon", "690"), ("Marseille", "130"), ("Toulouse", "310"),
            ("Nantes", "440"), ("Bordeaux", "330"), ("Lille", "590")),
           ("gmail.com", "orange.fr", "free.fr", "laposte.net", "outlook.fr")),
    "ES": (("Calle Mayor", "Avenida de la Constitución", "Calle del Sol", "Paseo de Gracia",
            "Calle de Alcalá", "Calle San Vicente", "Avenida del Puerto", "Calle Real"),
           (("Madrid", "280"), ("Barcelona", "080"), ("Valencia", "460"), ("Sevilla", "410"),
            ("Bilbao", "480"), ("Málaga", "290"), ("Zaragoza", "500")),
           ("gmail.com", "hotmail.es", "yahoo.es", "outlook.es", "telefonica.net")),
    "IN": (("MG Road", "Residency Road", "Park Street", "Linking Road", "Anna Salai",
            "Jubilee Hills Road", "FC Road", "Brigade Road"),
           (("Bengaluru", "560"), ("Mumbai", "400"), ("Chennai", "600"), ("Hyderabad", "500"),
            ("Pune", "411"), ("Kolkata", "700"), ("New Delhi", "110")),
           ("gmail.com", "yahoo.co.in", "outlook.com", "rediffmail.com")),
    "CN": (("Nanjing West Road", "Huaihai Road", "Zhongshan Road", "Renmin Road",
            "Jiefang Avenue", "Chang'an Avenue"),
           (("Shanghai", "200"), ("Beijing", "100"), ("Shenzhen", "518"), ("Hangzhou", "310"),
            ("Guangzhou", "510")),
           ("qq.com", "163.com", "outlook.com", "gmail.com")),
    "NG": (("Admiralty Way", "Allen Avenue", "Adeola Odeku Street", "Awolowo Road",
            "Aminu Kano Crescent", "Ogui Road"),
           (("Lagos", "101"), ("Abuja", "900"), ("Ibadan", "200"), ("Port Harcourt", "500"),
            ("Enugu", "400")),
           ("gmail.com", "yahoo.com", "outlook.com")),
}

# fmt: on


@dataclass(frozen=True)
class Address:
    """A postal address in one of the countries the demo company ships to."""

    street: str
    city: str
    postcode: str
    country: str


def pick_locale(rng: random.Random) -> str:
    """Choose a name locale by weight."""
    names = [name for name, _ in LOCALE_WEIGHTS]
    return rng.choices(names, weights=[weight for _, weight in LOCALE_WEIGHTS])[0]


def pick_person(rng: random.Random, locale: str) -> tuple[str, str, str]:
    """Return (given name, family name, country of residence) for a locale."""
    given, family, countries = LOCALES[locale]
    codes = [code for code, _ in countries]
    country = rng.choices(codes, weights=[weight for _, weight in countries])[0]
    return rng.choice(given), rng.choice(family), country


def email_domains(country: str) -> tuple[str, ...]:
    """Email domains people in this country commonly use."""
    return _ADDRESSES[country][2]


def make_address(rng: random.Random, country: str) -> Address:
    """Build a plausible street address, city and postcode for a country."""
    streets, cities, _ = _ADDRESSES[country]
    street, (city, prefix) = rng.choice(streets), rng.choice(cities)
    number = rng.randint(1, 240)
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    if country == "US":
        return Address(f"{number} {street}", city, f"{prefix}{rng.randint(1, 99):02d}", country)
    if country == "GB":
        code = f"{prefix}{rng.randint(1, 19)} {rng.randint(1, 9)}{rng.choice(letters)}"
        return Address(f"{number} {street}", city, code + rng.choice(letters), country)
    if country == "DE":
        return Address(f"{street} {number}", city, f"{prefix}{rng.randint(100, 999)}", country)
    if country in {"FR", "ES"}:
        sep = ", " if country == "ES" else " "
        line = f"{street}{sep}{number}" if country == "ES" else f"{number} {street}"
        return Address(line, city, f"{prefix}{rng.randint(1, 20):02d}", country)
    return Address(f"{number} {street}", city, f"{prefix}{rng.randint(1, 999):03d}", country)


_US_AREA_CODES: dict[str, str] = {
    "Austin": "512", "Columbus": "614", "Denver": "303", "Seattle": "206", "Chicago": "312",
    "Atlanta": "404", "Portland": "503", "Boston": "617", "Phoenix": "602", "Raleigh": "919",
}  # fmt: skip


def make_phone(rng: random.Random, country: str, city: str = "") -> str:
    """Build a phone number in the country's usual international format."""
    d = rng.randint
    if country == "US":  # 555-0100 to 555-0199 are reserved for fiction
        return f"+1 {_US_AREA_CODES.get(city, '312')}-555-01{d(0, 99):02d}"
    if country == "GB":
        return f"+44 7{rng.choice('4578')}{d(10, 99)} {d(100000, 999999)}"
    if country == "DE":
        return f"+49 15{rng.choice('1257')} {d(10000000, 99999999)}"
    if country == "FR":
        return f"+33 {rng.choice('67')} {d(40, 89)} {d(10, 99)} {d(10, 99)} {d(10, 99)}"
    if country == "ES":
        return f"+34 6{d(10, 99)} {d(100, 999)} {d(100, 999)}"
    if country == "IN":
        return f"+91 9{d(1000, 9999)} {d(10000, 99999)}"
    if country == "NG":
        return f"+234 80{rng.choice('3689')} {d(100, 999)} {d(1000, 9999)}"
    return f"+86 13{d(0, 9)} {d(1000, 9999)} {d(1000, 9999)}"


__all__ = [
    "LOCALES",
    "Address",
    "email_domains",
    "make_address",
    "make_phone",
    "pick_locale",
    "pick_person",
]
