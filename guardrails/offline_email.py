"""Presidio's email recognizer, validating domains with tldextract's bundled suffix list only.

Imported by ``build_analyzer`` only (it imports Presidio). tldextract's module-level extractor
reads ``TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS`` once, when tldextract is first imported; if anything
imported it before that variable was set, ``tldextract.extract`` would try to download the
public-suffix list. This recognizer owns an extractor that never does, whatever the import order.
"""

from __future__ import annotations

from presidio_analyzer.predefined_recognizers import EmailRecognizer
from tldextract import TLDExtract


class OfflineEmailRecognizer(EmailRecognizer):
    """EmailRecognizer whose domain check uses the bundled public-suffix snapshot, no network."""

    def __init__(self) -> None:
        super().__init__()
        # No URLs and no disk cache: the snapshot shipped inside tldextract is the only source.
        self._extract = TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)

    def validate_result(self, pattern_text: str) -> bool:
        """True when the address has a domain under a known public suffix."""
        return self._extract(pattern_text).fqdn != ""
