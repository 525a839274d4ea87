"""How the answer is chosen (answerer = "reader", the default), top to bottom.

1. The question is read with the top ``passages`` retrieved chunks by the span reader
   (``reader.Reader``): every chunk gets a no-answer score and its best spans.
2. Spans that cross a sentence boundary, or lie in a sentence that may not be quoted (the
   headline, a bare attribution line, text that addresses a model or assistant, recognised
   by meaning: ``addressed.AddressScreen``), are dropped.
3. Spans that name the same answer (the same words, numbers or names, across passages and
   scripts) pool their evidence: a span's support is the log-sum-exp (at the calibrated
   temperature) of the margins of every span naming its answer, each less a calibrated
   penalty per retrieval rank of its chunk; how close the top chunk is to the question
   (its e5 cosine, the same scale in any store) adds to it: a question no passage comes
   close to is more likely not answered. The best span has the most support; between
   spans of one answer equally supported, the one in the question's language is shown.
   Below the calibrated threshold the answer is a refusal in the question's language;
   else ``confidence`` is the calibrated probability that the span is right, from the
   pooled margins alone (``reader.Calibration``: closeness moves between stores, reading
   does not). For "now"/"currently", the latest article's span wins among spans nearly
   as likely.
4. The short answer is that span, copied verbatim (``short_answer_span`` gives its article
   offsets); quote [1] is the sentence that holds it.
5. A further sentence is quoted only when it states the same answer (the same name or
   number, in another article or language) or holds another span over the line that the
   reader finds at least a calibrated share as likely as the best (the evidence for the
   answer it nearly gave); at most ``MAX_QUOTES``.
6. Unless the passages disagree: another answer of the same kind over the line, nearly as
   likely (``DISAGREE``), stated only in other articles of the same month. Then the answer
   says so and cites each side ("Sources disagree: [1] says X; [2], [3] say Y"); the short
   answer is the side more articles name, or none when the sides are even, so one article
   against two or more never becomes the short answer.

No hand-written answer types, nearest-name rules or span trimming take part: the reader has
read the question.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from corpus.citations import marker
from index import Chunk, NameIndex, chunk_sentences, name_keys

from . import questions as Q
from .answer import refusal
from .config import Config
from .features import quotable
from .model import Answer, Citation
from .phrases import say
from .reader import Calibration, Reader, Span
from .retrieval import Candidate

MAX_QUOTES = 3
DISPUTE = Path(__file__).with_name("dispute.json")  # benchmarks.fit_same_answer
DISAGREE = 0.9  # a rival answer at least this likely relative to the best is a disagreement
SURE = 0.5  # ... when both are at least this likely: below, the reader is unsure, not the sources
# One article against two or more: the majority wins at this ratio and floor already
MAJORITY_RATIO, MAJORITY_SURE = 0.5, 0.3
NOW_RATIO = 0.8  # "now": a later article's span this likely relative to the best wins


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


class ReaderAnswerer:
    def __init__(self, reader: Reader, calibration: Calibration, passages: int = 4,
                 min_probability: float | None = None, disagree: float = DISAGREE,
                 screen: Callable[[Chunk], frozenset[int]] | None = None):
        self.reader = reader
        self.disagree = disagree
        # (answer, answer) -> their cosine (e5, each alone): one answer in other words (a
        # translation) above ``same_cosine`` is no dispute; None: names and numbers only
        self.cosine: Callable[[str, str], float] | None = None
        self.same_cosine = json.loads(DISPUTE.read_text())["same_answer_cosine"]
        # which sentences of a chunk address a model (``addressed.AddressScreen``): never
        # quoted; the phrase list alone when None
        self.screen = screen
        self.calibration = calibration
        self.passages = passages
        self.min_probability = min_probability  # replaces the support line when set

    def one_answer(self, a: str, b: str) -> bool:
        """``a`` and ``b`` are one answer in other words: by meaning, unless both are names
        (names compare by their letters across scripts: Murat Kaya is not Омуралиев)."""
        if self.cosine is None or (name_keys(a) and name_keys(b)):
            return False
        return self.cosine(a, b) >= self.same_cosine

    def given(self, f: Found) -> bool:
        """Over the refusal line (step 3)."""
        if self.min_probability is not None:
            return f.probability >= self.min_probability
        return f.support >= self.calibration.threshold

    def found(self, question: str, candidates: list[Candidate]) -> list[Found]:
        """Steps 1-3: the quotable spans of the top chunks, the most supported first."""
        cal = self.calibration
        cands = candidates[:self.passages]
        placed = []
        for sp in self.reader.read(question, [c.chunk.text for c in cands], cal.spans):
            c = cands[sp.passage]
            sentence = next(((s, e) for s, e in chunk_sentences(c.chunk)
                             if s <= sp.start and sp.end <= e), None)
            if sentence is not None and quotable(c.chunk.text[sentence[0]:sentence[1]],
                                                 c.chunk.title) and not (
                    self.screen is not None and sentence[0] in self.screen(c.chunk)):
                placed.append((sp, c, sentence))
        texts = [c.chunk.text[sp.start:sp.end] for sp, c, _ in placed]
        pooled = support(texts, [sp.margin - cal.rank_penalty * sp.passage
                                 for sp, _, _ in placed], cal.temperature)
        near = closeness(candidates[0], cal.closeness) if candidates else cal.closeness
        lift = cal.retrieval_weight * near
        out = []
        for (sp, c, sentence), value in zip(placed, pooled, strict=True):
            base = c.chunk.start
            out.append(Found(sp, c, base + sp.start, base + sp.end,
                             (base + sentence[0], base + sentence[1]), value + lift,
                             cal.probability(value)))
        return sorted(out, key=lambda f: (-f.support, -f.span.margin))

    def answer(self, question: str, candidates: list[Candidate], lang: str | None) -> Answer:
        found = self.found(question, candidates)
        if not found:
            return refusal(question, lang, 0.0)
        best = found[0]
        if not self.given(best):  # step 3
            return refusal(question, lang, best.probability)
        tied = [f for f in found if f.support >= best.support - 1e-6
                and same_answer(f.text, best.text)]
        best = min(tied, key=lambda f: (f.candidate.chunk.lang != lang, -f.span.margin))
        if Q.asks_now(question):
            near = [f for f in found if f.probability >= NOW_RATIO * best.probability
                    and self.given(f)]
            best = max(near, key=lambda f: (f.candidate.chunk.date or "", f.probability))
        sides = disagreement(question, found, best, self.given, self.disagree, candidates,
                             self.one_answer)
        if sides:  # step 6
            return compose_disagreement(question, sides, lang, best.probability)
        kept = further_quotes(found, best, self.calibration.second, self.given,
                              lambda f: (f.candidate.chunk.id, f.sentence))
        return compose(question, kept, lang, best.probability)


def _article(f) -> str:
    return f.candidate.chunk.article_id


def _days_apart(a: str | None, b: str | None) -> int:
    if not a or not b:
        return 0
    return abs((date.fromisoformat(a[:10]) - date.fromisoformat(b[:10])).days)


def disagreement(question: str, found: list[Found], best: Found,
                 given: Callable[[Found], bool], ratio: float, candidates: list[Candidate],
                 one_answer: Callable[[str, str], bool] = lambda a, b: False
                 ) -> list[list[Found]] | None:
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
    Each side holds one span per article. None when the passages agree."""
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
                or f.probability < max(MAJORITY_RATIO * best.probability, MAJORITY_SURE)
                or bool(Q.numbers(f.text)) != bool(Q.numbers(best.text))
                or _days_apart(f.candidate.chunk.date, best.candidate.chunk.date) > 31
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
        strong = f.probability >= max(ratio * best.probability, SURE)
        if strong or len(sides[1]) >= 2 > len(sides[0]):
            return sorted(sides, key=lambda side: -len(side))  # stable: ties keep ours first
    return None


def _one_per_article(side: list[Found]) -> list[Found]:
    seen: dict[str, Found] = {}
    for f in side:
        seen.setdefault(_article(f), f)
    return list(seen.values())[:MAX_QUOTES]


def further_quotes(found: list, best, second: float, given: Callable[[Any], bool],
                   place: Callable[[Any], object]) -> list:
    """Step 5: ``best``, then the spans of ``found`` (in order) whose sentence is not quoted
    yet and that name the same answer, or are over the line (``given``) and at least
    ``second`` times as likely as the best; at most ``MAX_QUOTES``. Each item has ``text``
    and ``probability``; ``place`` says which sentence holds it (the calibrator's recorded
    spans use this too)."""
    kept = [best]
    for f in found:
        if len(kept) >= MAX_QUOTES:
            break
        if any(place(f) == place(k) for k in kept):
            continue
        if same_answer(f.text, best.text) or (f.probability >= second * best.probability
                                              and given(f)):
            kept.append(f)
    return kept


def closeness(candidate: Candidate, default: float = 0.0) -> float:
    """How close a chunk is to the question on a scale no store changes: the cosine of an
    e5-small channel (any backend: e5-small, e5-small-int8, ...); ``default`` where none
    returned it (another embedder's cosines run on another scale)."""
    for name, value in candidate.dense.items():
        if name.startswith("e5-small"):
            return float(value)
    return default


def same_answer(a: str, b: str) -> bool:
    """Two spans name the same thing: the same words, the same numbers, or the same names
    (compared across scripts: Омуралиев / Omuraliev)."""
    return _Answer(a).names(_Answer(b))


def mentioned(answer: str, text: str) -> bool:
    """``text`` mentions ``answer``: its numbers, its names (across scripts) or its words."""
    a, t = _Answer(answer), _Answer(text)
    return bool((a.numbers and a.numbers <= t.numbers) or a.words in t.words or (
        a.keys and all(t.index.has(k) for k in a.keys)))


class _Answer:
    """A span's text as ``same_answer`` compares it (its words, numbers and name keys)."""

    def __init__(self, text: str):
        self.words = " ".join(text.casefold().split())
        self.numbers = Q.numbers(text)
        self.keys = name_keys(text)
        self.index = NameIndex(self.keys)

    def names(self, other: _Answer) -> bool:
        """This span names what ``other`` names (every name of this one is in ``other``)."""
        if self.words == other.words or (self.numbers and self.numbers == other.numbers):
            return True
        return bool(self.keys) and bool(other.keys) and all(
            other.index.has(k) for k in self.keys)


def pools(texts: list[str]) -> list[list[int]]:
    """For each span, the spans naming the same answer (itself included; either way round,
    so "Babayev" and "Sahil Babayev" pool)."""
    answers = [_Answer(t) for t in texts]
    return [[j for j, b in enumerate(answers) if j == i or a.names(b) or b.names(a)]
            for i, a in enumerate(answers)]


def support(texts: list[str], margins: list[float], temperature: float,
            pooled: list[list[int]] | None = None) -> list[float]:
    """Each span's pooled evidence: ``temperature * log(sum(exp(m / temperature)))`` over
    the margins of the spans naming its answer (``pools``). A temperature of 0 pools
    nothing: each span's support is its own margin."""
    if temperature <= 0 or len(texts) < 2:
        return list(margins)
    m = np.asarray(margins, dtype=float) / temperature
    out = []
    for same in pooled if pooled is not None else pools(texts):
        top = m[same].max()
        out.append(float(temperature * (top + np.log(np.exp(m[same] - top).sum()))))
    return out


def compose(question: str, kept: list[Found], lang: str | None, confidence: float) -> Answer:
    """"<short answer> [1]. <its sentence> [1] <further sentence> [2] ..."."""
    citations = [Citation.of(n, f.candidate.chunk, f.sentence[0], f.sentence[1],
                             round(f.probability, 4)) for n, f in enumerate(kept, start=1)]
    best = kept[0]
    short = best.text
    parts = [f"{short} {marker(1)}."] + [f"{f.sentence_text} {marker(n)}"
                                         for n, f in enumerate(kept, start=1)]
    return Answer(question, " ".join(parts), citations, True, lang=lang,
                  confidence=round(confidence, 3), short_answer=short,
                  short_answer_span={"n": 1, "doc_id": best.candidate.chunk.article_id,
                                     "start": best.start, "end": best.end})


def compose_disagreement(question: str, sides: list[list[Found]], lang: str | None,
                         confidence: float) -> Answer:
    """"Sources disagree: [1] says X; [2], [3] say Y. <sentence> [1] <sentence> [2] ...".
    The short answer is the side more articles name; with as many on each side, none (the
    answer does not pick one). The confidence is at most the majority's share of articles."""
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
    return Answer(question, text, citations, True, lang=lang,
                  confidence=round(min(confidence, share), 3),
                  short_answer=None if majority is None else majority.text,
                  short_answer_span=span)


def make_reader_answerer(config: Config) -> ReaderAnswerer:
    """The reader on the configured (or fastest) backend, with its calibration; a
    ``min_evidence`` of 0 or more replaces the calibrated refusal line (a probability)."""
    from index.embedders.e5build import ensure_e5

    cal = Calibration.load()
    folder = ensure_e5(config.cache_dir())
    reader = Reader(folder, config.threads, config.reader_backend or None)
    return ReaderAnswerer(reader, cal, config.reader_passages or cal.passages,
                          config.min_evidence if config.min_evidence >= 0 else None)
