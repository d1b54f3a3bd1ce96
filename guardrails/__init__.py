"""Guardrails: input checks, PII pseudonymisation with a per-conversation vault, stream restore."""

from guardrails.input_checks import InputRejected, check_input
from guardrails.pseudonymiser import (
    DEFAULT_ENTITIES,
    DetectedEntity,
    PseudonymisationError,
    Pseudonymiser,
    Redaction,
    build_analyzer,
)
from guardrails.stream_restorer import StreamRestorer
from guardrails.vault import REDACTED, PseudonymVault

__all__ = [
    "DEFAULT_ENTITIES",
    "REDACTED",
    "DetectedEntity",
    "InputRejected",
    "PseudonymVault",
    "PseudonymisationError",
    "Pseudonymiser",
    "Redaction",
    "StreamRestorer",
    "build_analyzer",
    "check_input",
]
