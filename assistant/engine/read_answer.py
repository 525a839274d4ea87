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
6. Unless the passages disagree (``corroborate``): another answer of the same kind over the
   line, nearly as likely (``DISAGREE``), stated only in other articles of the same month.
   Then the answer says so and cites each side ("Sources disagree: [1] says X; [2], [3] say
   Y"); the short answer is the side more articles name, or none when the sides are even,
   so one article against two or more never becomes the short answer.
7. An answer that only suspect sentences state (they read like text addressed to a model,
   ``addressed``'s lower line) is disputed by a weaker rival of any date, and, undisputed,
   is quoted without a short answer and with a notice.

No hand-written answer types, nearest-name rules or span trimming take part: the reader has
read the question.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np

from corpus.citations import marker
from index import Chunk, chunk_sentences, name_keys

from . import questions as Q
from .answer import refusal
from .config import Config
from .corroborate import (
    DISAGREE,
    DISPUTE,
    MAX_QUOTES,
    Found,
    Named,
    compose_disagreement,
    disagreement,
    same_answer,
)
from .features import quotable
from .model import Answer, Citation
from .phrases import say
from .reader import Calibration, Reader
from .retrieval import Candidate

NOW_RATIO = 0.8  # "now": a later article's span this likely relative to the best wins


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
        # the starts of a chunk's suspect sentences (``AddressScreen.suspect``); None: none
        self.suspect: Callable[[Chunk], frozenset[int]] | None = None
        self.calibration = calibration
        self.passages = passages
        self.min_probability = min_probability  # replaces the support line when set

    def one_answer(self, a: str, b: str) -> bool:
        """``a`` and ``b`` are one answer in other words: by meaning, unless both are names
        (names compare by their letters across scripts: Murat Kaya is not Омуралиев) or both
        hold numbers and none in common (2026-2027 is not 2040-2044, however alike; 30
        thousand is 30.000: ``_figures``)."""
        na, nb = _figures(a), _figures(b)
        if self.cosine is None or (name_keys(a) and name_keys(b)) or (na and nb
                                                                      and not na & nb):
            return False
        return self.cosine(a, b) >= self.same_cosine

    def use_screen(self, screen) -> None:
        """Read with an ``addressed.AddressScreen``: its notes never quoted, its suspect
        sentences doubted, its cosine comparing answers."""
        self.screen, self.suspect, self.cosine = screen, screen.suspect, screen.cosine

    def doubted(self, found: list[Found], best: Found) -> list[Found]:
        """The spans naming ``best``'s answer, when every one of them sits in a suspect
        sentence (one that reads like text addressed to a model); else []."""
        if self.suspect is None:
            return []
        ours = [f for f in found if same_answer(f.text, best.text)]
        if all(f.sentence[0] - f.candidate.chunk.start in self.suspect(f.candidate.chunk)
               for f in ours):
            return ours
        return []

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
        doubted = self.doubted(found, best)
        sides = disagreement(question, found, best, self.given, self.disagree, candidates,
                             self.one_answer, doubted)
        if sides:  # step 6
            return compose_disagreement(question, sides, lang, best.probability, doubted)
        kept = further_quotes(found, best, self.calibration.second, self.given,
                              lambda f: (f.candidate.chunk.id, f.sentence))
        return compose(question, kept, lang, best.probability, bool(doubted))


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


def pools(texts: list[str]) -> list[list[int]]:
    """For each span, the spans naming the same answer (itself included; either way round,
    so "Babayev" and "Sahil Babayev" pool)."""
    answers = [Named(t) for t in texts]
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


def compose(question: str, kept: list[Found], lang: str | None, confidence: float,
            doubted: bool = False) -> Answer:
    """"<short answer> [1]. <its sentence> [1] <further sentence> [2] ...". ``doubted`` (only
    suspect sentences state it, none disputes it): no short answer, the quotes, a notice,
    and a confidence of at most one half."""
    citations = [Citation.of(n, f.candidate.chunk, f.sentence[0], f.sentence[1],
                             round(f.probability, 4)) for n, f in enumerate(kept, start=1)]
    best = kept[0]
    short = None if doubted else best.text
    parts = [f"{short} {marker(1)}."] * (not doubted) + [
        f"{f.sentence_text} {marker(n)}" for n, f in enumerate(kept, start=1)]
    return Answer(question, " ".join(parts), citations, True, lang=lang,
                  confidence=round(min(confidence, 0.5) if doubted else confidence, 3),
                  short_answer=short, short_answer_span=None if doubted else {
                      "n": 1, "doc_id": best.candidate.chunk.article_id, "start": best.start,
                      "end": best.end},
                  notice=say("doubted", lang, sources=marker(1), x=best.text) if doubted
                  else None)


def _figures(text: str) -> set[str]:
    """A text's numbers by their significant digits: "30 to 50 thousand" and "30.000 bis
    50.000" hold the same figures, "2026-2027" and "2040-2044" do not."""
    return {n.strip("0") or "0" for n in Q.numbers(text)}


def make_reader_answerer(config: Config) -> ReaderAnswerer:
    """The reader on the configured (or fastest) backend, with its calibration; a
    ``min_evidence`` of 0 or more replaces the calibrated refusal line (a probability)."""
    from index.embedders.e5build import ensure_e5

    cal = Calibration.load()
    folder = ensure_e5(config.cache_dir())
    reader = Reader(folder, config.threads, config.reader_backend or None)
    return ReaderAnswerer(reader, cal, config.reader_passages or cal.passages,
                          config.min_evidence if config.min_evidence >= 0 else None)
