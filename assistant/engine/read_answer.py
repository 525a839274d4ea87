"""How the answer is chosen (answerer = "reader", the default), top to bottom.

1. The question is read with the top ``passages`` retrieved chunks by the span reader
   (``reader.Reader``): every chunk gets a no-answer score and its best spans.
2. Spans that cross a sentence boundary, or lie in a sentence that may not be quoted (the
   headline, a bare attribution line, text that addresses an assistant), are dropped.
3. The best span is the one whose score beats its chunk's no-answer score by the most (its
   margin), less a calibrated penalty per retrieval rank of its chunk. Below the calibrated
   threshold the answer is a refusal in the question's language; else ``confidence`` is the
   calibrated probability that the span is right (``reader.Calibration``). For
   "now"/"currently", the latest article's span wins among spans nearly as likely.
4. The short answer is that span, copied verbatim (``short_answer_span`` gives its article
   offsets); quote [1] is the sentence that holds it.
5. A further sentence is quoted only when it states the same answer (the same name or
   number, in another article or language) or holds another span the reader is confident
   of (a second fact the question may want); at most ``MAX_QUOTES``.

No hand-written answer types, nearest-name rules or span trimming take part: the reader has
read the question.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from corpus.citations import marker
from index import chunk_sentences, name_keys, names_match

from . import questions as Q
from .answer import refusal
from .config import Config
from .features import quotable
from .model import Answer, Citation
from .reader import Calibration, Reader, Span
from .retrieval import Candidate

MAX_QUOTES = 3
NOW_RATIO = 0.8  # "now": a later article's span this likely relative to the best wins
SECOND = 0.5  # another fact is quoted when the reader is this sure of it too


@dataclass(frozen=True)
class Found:
    """A span placed in its chunk: the sentence that holds it, in article offsets."""

    span: Span
    candidate: Candidate
    start: int  # the span, in article offsets
    end: int
    sentence: tuple[int, int]  # the sentence holding it, in article offsets
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
    def __init__(self, reader: Reader, calibration: Calibration, passages: int = 4):
        self.reader = reader
        self.calibration = calibration
        self.passages = passages

    def found(self, question: str, candidates: list[Candidate]) -> list[Found]:
        """Steps 1-3: the quotable spans of the top chunks, the best first."""
        cands = candidates[:self.passages]
        out = []
        for sp in self.reader.read(question, [c.chunk.text for c in cands]):
            c = cands[sp.passage]
            sentence = next(((s, e) for s, e in chunk_sentences(c.chunk)
                             if s <= sp.start and sp.end <= e), None)
            if sentence is None or not quotable(c.chunk.text[sentence[0]:sentence[1]],
                                                c.chunk.title):
                continue
            base = c.chunk.start
            out.append(Found(sp, c, base + sp.start, base + sp.end,
                             (base + sentence[0], base + sentence[1]),
                             self.calibration.probability(sp.margin)))
        penalty = self.calibration.rank_penalty  # a lower-ranked passage must read better
        return sorted(out, key=lambda f: -(f.span.margin - penalty * f.span.passage))

    def answer(self, question: str, candidates: list[Candidate], lang: str | None) -> Answer:
        found = self.found(question, candidates)
        if not found:
            return refusal(question, lang, 0.0)
        best = found[0]
        if best.span.margin < self.calibration.threshold:  # step 3
            return refusal(question, lang, best.probability)
        if Q.asks_now(question):
            near = [f for f in found if f.probability >= NOW_RATIO * best.probability
                    and f.span.margin >= self.calibration.threshold]
            best = max(near, key=lambda f: (f.candidate.chunk.date or "", f.probability))
        kept = [best]
        for f in found:  # step 5
            if len(kept) >= MAX_QUOTES:
                break
            if any(f.candidate.chunk.id == k.candidate.chunk.id and f.sentence == k.sentence
                   for k in kept):
                continue
            if same_answer(f.text, best.text) or (
                    f.probability >= SECOND and f.span.margin >= self.calibration.threshold):
                kept.append(f)
        return compose(question, kept, lang, best.probability)


def same_answer(a: str, b: str) -> bool:
    """Two spans name the same thing: the same words, the same numbers, or the same names
    (compared across scripts: Омуралиев / Omuraliev)."""
    if " ".join(a.casefold().split()) == " ".join(b.casefold().split()):
        return True
    if Q.numbers(a) and Q.numbers(a) == Q.numbers(b):
        return True
    ka, kb = name_keys(a), name_keys(b)
    return bool(ka) and bool(kb) and all(names_match(k, kb) for k in ka)


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


def make_reader_answerer(config: Config) -> ReaderAnswerer:
    """The reader on the configured (or fastest) backend, with its calibration; a
    ``min_evidence`` of 0 or more replaces the calibrated refusal line (a probability)."""
    from index.embedders.e5build import ensure_e5

    cal = Calibration.load()
    if config.min_evidence >= 0:
        p = min(max(config.min_evidence, 1e-6), 1 - 1e-6)
        cal = replace(cal, threshold=(math.log(p / (1 - p)) - cal.b) / cal.a)
    folder = ensure_e5(config.cache_dir())
    reader = Reader(folder, config.threads, config.reader_backend or None)
    return ReaderAnswerer(reader, cal, config.reader_passages)
