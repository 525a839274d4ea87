"""Answers written by an LLM, streamed sentence by sentence, each verified before it is shown.

The reply is buffered until a sentence completes; the sentence is checked against the
sources (``verify.Verifier``) and, if a source supports it, emitted at once with its
citation (the exact source sentence it rests on, numbered in order of first use). What
verification removes is listed in ``Answer.removed`` and said in ``Answer.notice``. When no
sentence survives, or the LLM fails (down, slow, wrong model or key, a reply that is not a
chat completion), the extractive answer is shown instead, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from corpus.citations import marker

from .config import Config
from .llm import LLMError, messages, stream_text
from .model import Answer, Citation
from .phrases import say
from .retrieval import Candidate
from .verify import Verdict, Verifier, split


class Draft:
    """The verified part of an answer so far."""

    def __init__(self, question: str, lang: str | None, sources: list[Candidate],
                 short: str | None = None):
        self.question, self.lang, self.sources = question, lang, sources
        self.short = short  # the extractive answer's short answer (the reader's span)
        self.parts: list[str] = []
        self.citations: list[Citation] = []
        self.removed: list[dict] = []
        self.recited = 0
        self._numbers: dict[tuple[str, int], int] = {}  # (chunk id, start) -> n

    def add(self, sentence: str, verdict: Verdict) -> bool:
        """Take one checked sentence; True when it joins the answer."""
        if not verdict.supports:
            self.removed.append({"sentence": sentence, "reason": verdict.reason})
            return False
        self.recited += verdict.recited
        marks = []
        for sup in verdict.supports:
            chunk = self.sources[sup.source].chunk
            key = (chunk.id, sup.start)
            if key not in self._numbers:
                n = len(self.citations) + 1
                self._numbers[key] = n
                self.citations.append(Citation.of(n, chunk, sup.start, sup.end, sup.score))
            marks.append(marker(self._numbers[key]))
        text = verdict.text.rstrip()
        end = ""
        while text and text[-1] in ".!?…":
            text, end = text[:-1], text[-1] + end
        self.parts.append(f"{text.rstrip()} {''.join(marks)}{end or '.'}")
        return True

    def notice(self) -> str | None:
        if not self.removed:
            return None
        return say("n_removed", self.lang, n=len(self.removed))

    def answer(self, notice: str | None = None) -> Answer:
        best = max((c.score for c in self.citations), default=0.0)
        # the reader's span stays the short answer when a quote the LLM cites holds it
        short = self.short if self.short and any(self.short in c.quote
                                                 for c in self.citations) else None
        return Answer(self.question, " ".join(self.parts), list(self.citations), True,
                      mode="llm", lang=self.lang, confidence=round(best, 3),
                      short_answer=short, removed=tuple(self.removed),
                      notice=notice or self.notice())


class LLMAnswerer:
    def __init__(self, config: Config, llm_factory: Callable[[], object], verifier: Verifier,
                 sources: int = 5):
        self.config = config
        self._factory = llm_factory
        self._llm = None
        self.verifier = verifier
        self.sources = sources

    @property
    def llm(self):
        if self._llm is None:
            self._llm = self._factory()
        return self._llm

    def stream(self, question: str, candidates: list[Candidate], lang: str | None,
               fallback: Callable[[], Answer]) -> Iterator[Answer]:
        """Growing answers, one more verified sentence each; the last one is final."""
        sources = candidates[:self.sources]
        first = fallback()
        draft = Draft(question, lang, sources, first.short_answer)
        failure = None
        buffer = ""
        try:
            if not sources:
                raise LLMError("No passage was retrieved, so the LLM was not asked.")
            msgs = messages(question, sources, lang, evidence_of(first, sources))
            for delta in stream_text(self.llm, msgs, self.config):
                buffer += delta
                done, buffer = split(buffer, final=False)
                if self._take(draft, done):
                    yield draft.answer()
            done, _ = split(buffer, final=True)
            self._take(draft, done)
        except LLMError as exc:
            failure = str(exc)
        if draft.parts:
            yield draft.answer(notice=_join(failure, draft.notice()))
            return
        ans = first
        why = failure or (f"The LLM's answer had no sentence its sources support "
                          f"({len(draft.removed)} removed)" if draft.removed else
                          "The LLM gave no answer")
        yield replace(ans, removed=tuple(draft.removed),
                      notice=f"{why.rstrip('.')}: showing the extractive answer.")

    def _take(self, draft: Draft, sentences: list[str]) -> bool:
        took = False
        for s in sentences:
            took |= draft.add(s, self.verifier.check(s, draft.question, draft.sources))
        return took


def evidence_of(first: Answer, sources: list[Candidate]) -> tuple[str, int, str] | None:
    """The extractive answer's finding as (short answer, source number, its sentence), when
    it has a short answer and its quote [1] is in one of ``sources``."""
    if not first.short_answer or not first.citations:
        return None
    c = first.citations[0]
    n = next((i for i, s in enumerate(sources, start=1) if s.chunk.id == c.chunk_id), None)
    return None if n is None else (first.short_answer, n, c.quote)


def _join(*notes: str | None) -> str | None:
    kept = [n for n in notes if n]
    return " ".join(kept) if kept else None
