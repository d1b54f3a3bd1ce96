"""Words that are never personal data on their own: calendar words, major cities, common words.

Data only. The calendar words and cities are cut out of name findings (spaCy's small model reads
"Monday", "June" or "Chicago" as a person); the common words tell the name recognizers which
lower-case or capitalised words are ordinary English rather than a name typed without capitals.
Words that are also frequent names or surnames ("mark", "rose", "smith", "brown") are left out of
COMMON_WORDS on purpose: a name written in lower case must still look like a possible name.
"""

from __future__ import annotations

from collections.abc import Collection


def _words(text: str) -> list[str]:
    """The whitespace-separated words of a data block."""
    return text.split()


WEEKDAYS = _words("monday tuesday wednesday thursday friday saturday sunday")

MONTHS = _words(
    """january february march april may june july august september october november december jan
feb mar apr jun jul aug sep sept oct nov dec"""
)

# "A city alone is not personal data": the capitals and biggest cities support text names most.
CITIES = [
    *_words(
        """aberdeen ahmedabad alicante amsterdam antwerp antwerpen athens atlanta auckland austin
baltimore bangalore bangkok barcelona bari basel beijing belfast belgrade bengaluru berlin
bern bilbao birmingham bologna bordeaux boston bratislava bremen brighton brisbane bristol
brussels bruxelles bucharest budapest buenos cairo calgary cambridge canberra cardiff
catania charlotte chennai chicago cologne copenhagen cork coventry dallas delhi denver
detroit dortmund dresden dubai dublin dusseldorf düsseldorf edinburgh eindhoven firenze
florence frankfurt geneva genoa genova gent glasgow gothenburg granada groningen hamburg
hanover helsinki houston hyderabad istanbul jaipur jakarta johannesburg karachi kiev kolkata
koln krakow kraków kyiv köln lagos leeds leicester leipzig lille lisboa lisbon liverpool
ljubljana london lucknow lyon madrid malaga manchester manila marseille melbourne miami
milan milano montreal moscow mumbai munich murcia málaga münchen nantes naples napoli
newcastle nice norwich nottingham nuremberg nürnberg osaka oslo ottawa oxford padova palermo
paris perth philadelphia phoenix portland porto portsmouth prague pune riga roma rome
rotterdam salzburg seattle seoul sevilla seville shanghai sheffield singapore sofia
southampton stockholm strasbourg stuttgart sydney tallinn tokyo torino toronto toulouse
turin utrecht valencia vancouver venezia venice verona vienna vilnius warsaw washington
wellington wien zagreb zaragoza zurich zürich"""
    ),
    "los angeles",
    "new york",
    "san francisco",
    "san diego",
    "san jose",
    "las vegas",
    "hong kong",
    "mexico city",
    "rio de janeiro",
    "sao paulo",
    "são paulo",
    "the hague",
    "den haag",
    "cape town",
    "tel aviv",
    "kuala lumpur",
    "buenos aires",
    "new delhi",
    "st louis",
    "salt lake city",
    "frankfurt am main",
]

# Upper-case abbreviations in support text: never the name of a person, even when shouted.
ABBREVIATIONS = _words(
    """usb hdmi led lcd oled pdf faq id pin otp sms gps wifi nfc ups dhl usps fedex dpd gls tnt eu
uk us usa vat tax iban bic swift dob zip cvv cvc api url pc tv hd uhd ok asap eta fyi am pm
sku rma gb mb kb tb mah gbp usd eur chf sek nok dkk pln cad aud jpy ssn ein"""
)

# Frequent English words beyond spaCy's stop words, and the vocabulary of support messages.
COMMON_WORDS = _words(
    """able about account accounts activate activated actually add added address adapter advice
after afternoon again agent ago agree allow almost already also always amount angry annoyed
another answer anyone anything anyway app apply appreciate arrive arrived arriving ask asked
asking assist assistance attach attached audio available away awful back bad bag balance
bank bar based basket battery because become bed been before begin being believe best better
between big billed billing birthday bit blue bluetooth board body book booked born both
bought box boxes break broke broken brought buds bug button buy buying cable call called
calling came can cancel cancelled cancellation cannot card care carrier case cash cause
change changed charge charged charger charging chat check checked checkout child choose city
claim clear click close code cold colour color come coming company complaint complete
completely confirm confirmation confused connect connected connection contact contract cost
could country couple courier cover crack cracked crackle crackles crackling credit cup
customer customers damaged data date day days dead deal dear debit defect defective deliver
delivered delivery department deposit details device did died different discount dispatch
dispatched do does doing done door double down download drive driver during ear early
earbuds earphones easy email emails end english enough error even evening ever every
everything exchange expect expected experience explain extra fact fail failed family fast
fault faulty fee feel few file fine finally find first fix fixed follow form forward free
friday friend from front full further gave get getting gift give given glad go goes going
gone good got great guarantee guess had half happen happened happy hard has have having
headphones headset hear heard hello help helpful here hey hi high hold home hour hours house
how however huge idea immediately important inbox info information instead invoice issue
issues item items just keep kind kindly know label laptop large last late later leave left
let letter light like line link list little live lock logged login long look looking lost
lot loud love low made mail make manager many matter maybe mean message messages method
microphone might mind minute minutes missing mistake mobile model moment money month months
morning most mother much must name need needed never new next nice night noise none normal
note nothing notice notification now number numbers offer office often okay old once online
only open opened order ordered orders original other out over own package packaging page
paid pair paired pairing parcel part password pay payment people perfect person phone photo
picture place placed plan please plus point policy poor port possible post power pretty
price print probably problem problems product products promo purchase purchased put question
quick quickly quite rather read ready real really reason receipt receive received recently
refund refunded refunds register registered remove repair replace replaced replacement reply
request required reset resolve resolved response rest return returned returning returns
review right room run safe said same say saying screen second see seems seen sell send
sending sent serial service set settings several ship shipped shipping shop short should
show shown side sign since single site size small so software soon sorry sound speaker
speakers start started status stay still stock stop stopped store subscription sure switch
system take taken talk team tell terrible thank thanks thing things think though time times
today told too took total track tracking transfer tried trouble true try trying turn turned
twice understand unfortunately unit until update updated upset urgent use used user using
usual very volume voucher wait waiting want wanted warehouse warranty was watch way website
week weekend weeks well went were what when where which while why wife husband will with
without won wonder word work worked working works worse would write writing wrong year years
yes yesterday yet tomorrow tonight hello hiya regards cheers sincerely best kind thx ty pls
plz asap mate guys everyone folks wishes advance lot loads bunch heaps million support
chargeback alert alerts mentions keeps disconnecting disconnects connecting login logout ticket
tickets studio piano piso puerta planta appartamento apartamento etage étage bis"""
)


def everyday_phrases(products: Collection[str] = ()) -> list[str]:
    """The built-in allow-list for name findings: weekdays, months, major cities (and products)."""
    return [*WEEKDAYS, *MONTHS, *CITIES, *products]


def ordinary_words() -> frozenset[str]:
    """Words that are not a name on their own: stop words, common and calendar words, cities."""
    from spacy.lang.en.stop_words import STOP_WORDS

    single_word_cities = [c for c in CITIES if " " not in c]
    words = (*STOP_WORDS, *COMMON_WORDS, *WEEKDAYS, *MONTHS, *ABBREVIATIONS, *single_word_cities)
    return frozenset(w.casefold() for w in words)
