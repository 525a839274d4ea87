"""Sentence boundaries with character offsets, for Cyrillic and Latin scripts.

Offsets matter more than linguistic perfection here: every chunk and every quote is a
``text[start:end]`` slice, so highlighting and verification are exact.
"""

from __future__ import annotations

import re

# A sentence ends at . ! ? … (optionally followed by closing quotes/brackets) when the next
# non-space character starts a new sentence (an upper-case letter, a digit or an opening quote).
_BOUNDARY = re.compile(r"""[.!?…]+["»“”')\]]*(?=\s+["«„“(\[]?[0-9A-ZА-ЯЁÄÖÜÇĞİŞƏ])""")
# Tokens before a period that do not end a sentence.
_ABBREV = re.compile(
    r"(?:\b(?:[A-ZА-ЯЁ]|Dr|Mr|Mrs|Ms|Prof|St|Nr|No|vs|etc|bzw|ca|Hr|Fr|usw|z\.B|u\.a|"
    r"г|гг|им|ул|т\.д|т\.п|т\.е|др|пр|млн|млрд|тыс|руб)\.)$"
)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text[start:end]``, whitespace trimmed.

    Line breaks always end a sentence (scraped news keeps one paragraph or heading per line).
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        base = start + line.start()
        segment = line.group()
        cut = 0
        for m in _BOUNDARY.finditer(segment):
            if _ABBREV.search(segment[cut : m.start() + 1]):
                continue
            spans.append((base + cut, base + m.end()))
            cut = m.end()
        spans.append((base + cut, base + len(segment)))
    return [_trim(text, s, e) for s, e in spans if text[s:e].strip()]


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e
