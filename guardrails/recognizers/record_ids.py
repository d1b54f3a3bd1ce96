"""The company's own record ids: customers, orders and tickets.

They are not personal data by themselves, but each one points at one person's records, so they
are pseudonymised like names: the model sees ``<ORDER_ID_1>``, the user sees the real id.
"""

from __future__ import annotations

from presidio_analyzer import Pattern, PatternRecognizer

# The formats of this product (context.crm_tables): CUS-10001, ORD-200001, TCK-300001.
RECORD_ID_FORMATS = {
    "CUSTOMER_ID": r"\bCUS-\d{4,}\b",
    "ORDER_ID": r"\bORD-\d{4,}\b",
    "TICKET_ID": r"\bTCK-\d{4,}\b",
}


def record_id_recognizers() -> list[PatternRecognizer]:
    """One pattern recognizer per record type (case-insensitive: "ord-200001" counts too)."""
    return [
        PatternRecognizer(
            supported_entity=entity,
            name=f"{entity.title().replace('_', '')}Recognizer",
            patterns=[Pattern(entity.lower(), rf"(?i){regex}", 0.95)],
        )
        for entity, regex in RECORD_ID_FORMATS.items()
    ]
