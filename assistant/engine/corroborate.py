"""Corroboration (step 6 of ``read_answer``): do the passages disagree on the asked fact?

Another answer of the same kind over the line, nearly as likely (``DISAGREE``), stated only
in other articles of the same month: the answer says so and cites each side ("Sources
disagree: [1] says X; [2], [3] say Y"); the short answer is the side more articles name, or
none when the sides are even, so one article against two or more never becomes the short
answer. A best answer that only suspect sentences state (``addressed``'s lower line: they
read like text addressed to a model) yields to a weaker rival of any date.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from corpus.citations import marker
from index import NameIndex, name_keys

from . import questions as Q
from .model import Answer, Citation
from .phrases import say
from .reader import Span
from .retrieval import Candidate

MAX_QUOTES = 3
DISPUTE = Path(__file__).with_name("dispute.json")  # benchmarks.fit_same_answer
DISAGREE = 0.9  # a rival answer at least this likely relative to the best is a disagreement
SURE = 0.5  # ... when both are at least this likely: below, the reader is unsure, not the sources
# One article against two or more: the majority wins at this ratio and floor already
MAJORITY_RATIO, MAJORITY_SURE = 0.5, 0.3
# a best answer that only a suspect sentence (``addressed``'s lower line) states is disputed
# by any rival over the line at least this likely relative to it (benchmarks.fit_disagree:
# the lowest keeping false disputes on XQuAD 24-47 at most 1 %)
DOUBT_RATIO = 0.1


@dataclass(frozen=True)
class Found:
    """A span placed in its chunk: the sentence that holds it, in article offsets."""

    span: Span
    candidate: Candidate
    start: int  # the span, in article offsets
    end: int
    sentence: tuple[int, int]  # the sentence holding it, in article offsets
    support: float  # the pooled evidence for its answer (step 3)
    probability: float

    @property
    def text(self) -> str:
        c = self.candidate.chunk
        return c.text[self.start - c.start:self.end - c.start]

    @property
    def sentence_text(self) -> str:
        c = self.candidate.chunk
        return c.text[self.sentence[0] - c.start:self.sentence[1] - c.start]


def _article(f) -> str:
    return f.candidate.chunk.article_id


def _days_apart(a: str | None, b: str | None) -> int:
    if not a or not b:
        return 0
    return abs((date.fromisoformat(a[:10]) - date.fromisoformat(b[:10])).days)


def disagreement(question: str, found: list[Found], best: Found,
                 given: Callable[[Found], bool], ratio: float, candidates: list[Candidate],
                 one_answer: Callable[[str, str], bool] = lambda a, b: False,
                 doubted: list[Found] | None = None) -> list[list[Found]] | None:
    """Step 6: the two sides, the side more articles name first, when another answer is over
    the line, at least ``ratio`` times as likely as ``best`` and ``SURE`` (or, named by two
    articles or more against ``best``'s one, ``MAJORITY_RATIO`` and ``MAJORITY_SURE``), of
    its kind (a number against a number, a name against a name), stated only in other articles dated
    within a month of ``best``'s (a later article naming someone else reports a change, not
    a dispute), where no retrieved passage of either side's articles mentions the other's
    answer (an article naming both names two people, it does not dispute one), and whose
    sentence, if in ``best``'s language, names the same names of the question (Kazakhstan's
    delegate and Uzbekistan's are not one fact; across languages titles are not compared),
    and that is not ``best`` in other words (``one_answer``: "Guru" / "гуру").
    When ``best``'s answer stands only in suspect sentences (``doubted``), a rival over the
    line at ``DOUBT_RATIO`` of its probability suffices, of any date (such a sentence is no
    report of a change).
    Each side holds one span per article. None when the passages agree."""
    floor = (DOUBT_RATIO * best.probability if doubted
             else max(MAJORITY_RATIO * best.probability, MAJORITY_SURE))
    asked = name_keys(question, skip_first=True)

    def held(f: Found) -> set[str]:
        return {k for k in asked if NameIndex(name_keys(f.sentence_text)).has(k)}

    ours = [f for f in found if same_answer(f.text, best.text)]
    arts = {_article(f) for f in ours}
    mine = held(best)
    read: dict[str, str] = {}  # each article's retrieved passages
    for c in candidates:
        read[c.chunk.article_id] = read.get(c.chunk.article_id, "") + "\n" + c.chunk.text
    for f in found:
        if (_article(f) in arts or same_answer(f.text, best.text) or not given(f)
                or f.probability < floor
                or bool(Q.numbers(f.text)) != bool(Q.numbers(best.text))
                or (_days_apart(f.candidate.chunk.date, best.candidate.chunk.date) > 31
                    and not doubted)
                or (f.candidate.chunk.lang == best.candidate.chunk.lang
                    and held(f) != mine)):
            continue
        if one_answer(f.text, best.text):  # the same answer in other words
            continue
        theirs = [g for g in found if same_answer(g.text, f.text) and _article(g) not in arts]
        if any(mentioned(a.text, read.get(_article(b), b.candidate.chunk.text))
               for x, y in ((ours, theirs), (theirs, ours)) for a in x for b in y):
            continue
        sides = [_one_per_article(ours), _one_per_article(theirs)]
        strong = bool(doubted) or f.probability >= max(ratio * best.probability, SURE)
        if strong or len(sides[1]) >= 2 > len(sides[0]):
            return sorted(sides, key=lambda side: -len(side))  # stable: ties keep ours first
    return None


def _one_per_article(side: list[Found]) -> list[Found]:
    seen: dict[str, Found] = {}
    for f in side:
        seen.setdefault(_article(f), f)
    return list(seen.values())[:MAX_QUOTES]


def same_answer(a: str, b: str) -> bool:
    """Two spans name the same thing: the same words, the same numbers, or the same names
    (compared across scripts: Омуралиев / Omuraliev)."""
    return Named(a).names(Named(b))


def mentioned(answer: str, text: str) -> bool:
    """``text`` mentions ``answer``: its numbers, its names (across scripts) or its words."""
    a, t = Named(answer), Named(text)
    return bool((a.numbers and a.numbers <= t.numbers) or a.words in t.words or (
        a.keys and all(t.index.has(k) for k in a.keys)))


class Named:
    """A span's text as ``same_answer`` compares it (its words, numbers and name keys)."""

    def __init__(self, text: str):
        self.words = " ".join(text.casefold().split())
        self.numbers = Q.numbers(text)
        self.keys = name_keys(text)
        self.index = NameIndex(self.keys)

    def names(self, other: Named) -> bool:
        """This span names what ``other`` names (every name of this one is in ``other``)."""
        if self.words == other.words or (self.numbers and self.numbers == other.numbers):
            return True
        return bool(self.keys) and bool(other.keys) and all(
            other.index.has(k) for k in self.keys)


def compose_disagreement(question: str, sides: list[list[Found]], lang: str | None,
                         confidence: float, doubted: list[Found] | None = None) -> Answer:
    """"Sources disagree: [1] says X; [2], [3] say Y. <sentence> [1] <sentence> [2] ...".
    The short answer is the side more articles name; with as many on each side, none (the
    answer does not pick one). The confidence is at most the majority's share of articles.
    The notice names the cited spans of ``doubted`` (suspect sentences)."""
    kept = [f for side in sides for f in side]
    citations = [Citation.of(n, f.candidate.chunk, f.sentence[0], f.sentence[1],
                             round(f.probability, 4)) for n, f in enumerate(kept, start=1)]
    parts, n = [], 1
    for side in sides:
        refs = ", ".join(marker(i) for i in range(n, n + len(side)))
        parts.append(say("side_one" if len(side) == 1 else "side_many", lang, refs=refs,
                         x=side[0].text))
        n += len(side)
    head = f"{say('disagree', lang)} {'; '.join(parts)}."
    text = " ".join([head] + [f"{f.sentence_text} {marker(i)}"
                              for i, f in enumerate(kept, start=1)])
    share = len(sides[0]) / len(kept)
    majority = sides[0][0] if len(sides[0]) > len(sides[1]) else None
    span = None if majority is None else {
        "n": 1, "doc_id": _article(majority), "start": majority.start, "end": majority.end}
    suspect = [marker(n) for n, f in enumerate(kept, start=1)
               if any(f is d for d in doubted or [])]
    notice = say("doubted", lang, sources=", ".join(suspect), x=doubted[0].text) if suspect \
        else None
    return Answer(question, text, citations, True, lang=lang,
                  confidence=round(min(confidence, share), 3),
                  short_answer=None if majority is None else majority.text,
                  short_answer_span=span, notice=notice)
