"""Keep libraries from reaching the network: the machines that run Deskpilot may have none."""

from __future__ import annotations

import os

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    # tldextract (Presidio's email recognizer) uses its bundled suffix list instead of fetching.
    "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def enforce_offline() -> None:
    """Set the variables that keep Hugging Face, tldextract and Chroma offline (idempotent)."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
