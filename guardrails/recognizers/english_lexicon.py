"""The English words spaCy's lemmatizer knows: a lower-case word outside them is likely a name.

spaCy's small model tags an unknown lower-case word after "I'm" or "it's" as an adjective ("I'm
elaine"), exactly as it tags a real one ("I'm confused"). Its rule lemmatizer ships an index of
about 83,000 English words (WordNet's nouns, verbs, adjectives and adverbs); a word in neither the
index nor the lemma of its token is taken for a name rather than for English.
"""

from __future__ import annotations

from spacy.language import Language


def english_lexicon(nlp: Language | None) -> frozenset[str]:
    """The lemmatizer's word index of ``nlp``, lower-case; empty if the pipeline has none."""
    if nlp is None or "lemmatizer" not in nlp.pipe_names:
        return frozenset()
    lookups = getattr(nlp.get_pipe("lemmatizer"), "lookups", None)
    if lookups is None or not lookups.has_table("lemma_index"):
        return frozenset()
    index = lookups.get_table("lemma_index")
    return frozenset(word.casefold() for key in index for word in index[key])
