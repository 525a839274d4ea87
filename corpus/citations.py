"""The citation markers of the answer contract: an answer's text carries ``[n]`` after the
sentence that rests on citation ``n``. The assistant writes them; the page links them; eval
reads them back. One definition for all three."""

from __future__ import annotations

import re

MARKER = re.compile(r"\[(\d+)\]")
_RUN = re.compile(r"\s*(?:\[\d+\])+")  # a run of markers with the space before it
_SEGMENT = re.compile(r"(.+?)((?:\s*\[\d+\])+)", re.S)


def marker(n: int) -> str:
    return f"[{n}]"


def marker_numbers(text: str) -> list[int]:
    """The citation numbers in ``text``, in order of appearance."""
    return [int(n) for n in MARKER.findall(text)]


def strip_markers(text: str) -> str:
    return _RUN.sub("", text).strip()


def cited_segments(text: str) -> list[tuple[str, list[int]]]:
    """(sentence, its citation numbers) for each segment ending with markers; a trailing
    segment without markers comes with an empty list."""
    out: list[tuple[str, list[int]]] = []
    pos = 0
    for m in _SEGMENT.finditer(text):
        out.append((m.group(1).strip(), marker_numbers(m.group(2))))
        pos = m.end()
    rest = text[pos:].strip()
    if rest:
        out.append((rest, []))
    return [(s, ns) for s, ns in out if s]
