"""Checking an LLM's answer sentence by sentence against the sources it was given.

A sentence of the reply is kept only if a source supports it:

1. its [n] markers are in range (a marker beyond the sources is dropped);
2. every number and every name it states is written in the cited source (names compared
   across scripts: Омуралиев = Omuraliev; numbers and names the question itself gives are
   not new facts; month names are dates, not names);
3. it is close in meaning to a sentence of the source: each model's cosine mapped between
   the floor and ceiling of ``SUPPORT_CALIBRATION``, averaged, at least ``MIN_SUPPORT``.
   Measured on the bundled news (tests/assistant/test_verify.py): faithful restatements in
   en/de/ru of sentences in other languages score .43-.77, invented or off-topic ones
   .18-.42; names and numbers are the sharper check, this one catches drift.

A sentence that fails on the source it cites is re-cited to another source that passes,
else removed with the reason. A source sentence that gives instructions ("ignore previous
instructions...") supports nothing. Each kept sentence cites the exact source sentence it
rests on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from corpus.citations import strip_markers
from corpus.dates import month_regex
from index import Embedder, chunk_sentences
from index.keyword import name_key

from . import features as F
from . import questions as Q
from .questions import instruction_like
from .retrieval import Candidate

SUPPORT_CALIBRATION = {"e5": (0.80, 0.90), "use": (0.15, 0.55)}
MIN_SUPPORT = 0.4
MARKER = re.compile(r"\[(\d{1,3})\]")
# A sentence ends at . ! ? (with its markers after it, "… Omuraliev. [1]"), not after an
# initial or a short abbreviation ("J. Abruyev", "Mr.", "z. B.").
# A line break ends one too (lists, "is:\n\nName").
_END = re.compile(r"(?<!\b\w)(?<!\bMr)(?<!\bDr)(?<!\bSt)(?<!\bvs)[.!?…]+[\"»”)]*"
                  r"(?:[ \t]*\[\d{1,3}\])*|(?:[ \t]*\[\d{1,3}\])*[ \t]*(?=\n)")
_WORD = re.compile(r"[\w'’-]{3,}")
_CAP = re.compile(r"\b[A-ZА-ЯЁÄÖÜÇĞİŞƏ][\w'’-]{2,}(?:\s+[A-ZА-ЯЁÄÖÜÇĞİŞƏ][\w'’-]{2,})*")
_MONTHS = re.compile(month_regex(), re.IGNORECASE)


@dataclass(frozen=True)
class Support:
    source: int  # 0-based index into the sources
    start: int  # the supporting sentence, offsets into the article
    end: int
    score: float


@dataclass(frozen=True)
class Verdict:
    text: str  # the sentence without its markers
    supports: tuple[Support, ...]  # empty: removed
    reason: str = ""  # why removed, or why re-cited
    recited: bool = False


def split(buffer: str, final: bool) -> tuple[list[str], str]:
    """The complete sentences at the start of ``buffer`` and the rest. Unless ``final``, a
    sentence counts as complete only when more text follows it (its markers may still come)."""
    out, pos = [], 0
    for m in _END.finditer(buffer):
        after = buffer[m.end():]
        if not final and not re.match(r"\s+[^\s\[]", after) and not after.startswith("\n"):
            break
        if after and not after[0].isspace():
            continue  # "3.5", "OTS.org": not an end
        out.append(buffer[pos:m.end()].strip())
        pos = m.end()
    rest = buffer[pos:]
    if final and rest.strip():
        out.append(rest.strip())
        rest = ""
    return [s for s in out if s], rest


def markers(sentence: str) -> list[int]:
    return [int(n) for n in dict.fromkeys(MARKER.findall(sentence))]


def missing_facts(claim: str, question: str, c: Candidate) -> list[str]:
    """The numbers and names of ``claim`` that its source does not write (and the question
    did not give)."""
    chunk = c.chunk
    text = f"{chunk.title}\n{chunk.text}"
    have_numbers = {_num(n) for n in Q.numbers(text) | Q.numbers(chunk.date or "")}
    asked_numbers = {_num(n) for n in Q.numbers(question)}
    missing = [written for written, digits in Q.number_mentions(claim)
               if _num(digits) not in have_numbers | asked_numbers]
    have = {_key(w) for w in _WORD.findall(text)} - {""}
    asked = {_key(w) for w in _WORD.findall(question)} - {""}
    body = _MONTHS.sub(" ", claim)
    first = re.match(r"\s*[\w'’-]+", body)
    german = bool(re.search(r"\b(der|die|das|und|wurde|ist)\b", claim, re.IGNORECASE))
    for m in _CAP.finditer(body):
        words = m.group().split()
        if first and m.start() == first.start():
            words = words[1:]  # the sentence's first word is capitalised anyway
        if german:  # every noun is capitalised: check what follows one ("Jamshid Abruyev")
            words = words[1:]
        for w in words:
            k = _key(w)
            if k and not _present(k, have) and not _present(k, asked):
                missing.append(w)
    return list(dict.fromkeys(missing))


def _key(word: str) -> str:
    """``name_key`` with the consonants languages spell differently merged (Uzbekistan,
    Usbekistan; Abruyev, Abrujew)."""
    return name_key(word).replace("z", "s").replace("w", "v")


def _num(digits: str) -> str:
    return digits.lstrip("0") or "0"


def _present(key: str, keys: set[str]) -> bool:
    """A name key is written in the text: the same key, an inflected form (a longer key it
    starts: Uzbek -> узбекской) or a form one consonant shorter."""
    for k in keys:
        if k == key or (k.startswith(key) and (len(key) >= 3 or len(k) - len(key) <= 1)):
            return True
        if len(k) >= 3 and key.startswith(k) and len(key) - len(k) <= 1:
            return True
    return False


class Verifier:
    def __init__(self, embedders: list[Embedder], vectors: F.SentenceVectors | None = None,
                 min_support: float = MIN_SUPPORT, screen=None):
        self.embedders = embedders
        self.screen = screen  # sentence starts of a chunk that address a model (addressed.py)
        self.vectors = vectors or F.SentenceVectors()
        self.min_support = min_support

    def support(self, claim: str, c: Candidate) -> tuple[float, int, int]:
        """(support, start, end) of the source sentence closest in meaning to ``claim``."""
        flagged = self.screen(c.chunk) if self.screen is not None else frozenset()
        spans = [(s, e) for s, e in chunk_sentences(c.chunk)
                 if s not in flagged and not instruction_like(c.chunk.text[s:e])]
        if not spans:
            return 0.0, c.chunk.start, c.chunk.start
        texts = [c.chunk.text[s:e] for s, e in spans]
        used = {}
        for e in self.embedders:
            fam = F.family(e.name)
            if fam in used:
                continue
            lo, hi = SUPPORT_CALIBRATION.get(fam, (0.5, 0.9))
            cos = self.vectors(e, texts) @ self.vectors(e, [claim])[0]
            used[fam] = np.clip((cos - lo) / (hi - lo), 0.0, 1.0)
        score = sum(used.values()) / max(1, len(used))
        i = int(np.argmax(score))
        s, e = spans[i]
        return float(score[i]), c.chunk.start + s, c.chunk.start + e

    def check(self, sentence: str, question: str, sources: list[Candidate]) -> Verdict:
        """Keep ``sentence`` (cited to the sources that support it) or say why not."""
        claim = strip_markers(sentence).strip()
        cited = markers(sentence)
        valid = [n - 1 for n in cited if 1 <= n <= len(sources)]
        invalid = [n for n in cited if not 1 <= n <= len(sources)]
        if len(re.findall(r"\w+", claim)) < 2:
            return Verdict(claim, (), "not a sentence")
        kept, reason = [], ""
        for j in valid:
            ok, why = self._holds(claim, question, sources[j], j)
            if ok:
                kept.append(ok)
            elif not reason:
                reason = why
        if kept:
            return Verdict(claim, tuple(kept))
        if not reason:
            reason = (f"cites [{invalid[0]}], which is not among the {len(sources)} sources"
                      if invalid else "cites no source")
        for j in range(len(sources)):
            if j not in valid:
                ok, _ = self._holds(claim, question, sources[j], j)
                if ok:
                    return Verdict(claim, (ok,), reason, recited=True)
        return Verdict(claim, (), reason)

    def _holds(self, claim: str, question: str, c: Candidate, j: int
               ) -> tuple[Support | None, str]:
        missing = missing_facts(claim, question, c)
        if missing:
            return None, f"{', '.join(repr(m) for m in missing[:3])} not in source [{j + 1}]"
        score, s, e = self.support(claim, c)
        if score < self.min_support:
            return None, f"not supported by source [{j + 1}] (support {score:.2f})"
        return Support(j, s, e, round(score, 4)), ""
