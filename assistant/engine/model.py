"""Records of the assistant stage."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from index import Chunk


@dataclass(frozen=True, kw_only=True)
class Citation:
    n: int
    article_id: str
    title: str
    date: str | None
    lang: str | None
    source: str
    quote: str  # exact substring of the article's text: text[start:end]
    chunk_id: str
    start: int
    end: int
    score: float
    # same story in other languages: {"doc_id", "title", "date", "lang", "score"} each
    also_reported_in: tuple[dict, ...] = ()

    @classmethod
    def of(cls, n: int, chunk: Chunk, start: int, end: int, score: float) -> Citation:
        """Citation ``n`` of the article text ``start:end`` inside ``chunk``."""
        return cls(n=n, article_id=chunk.article_id, title=chunk.title, date=chunk.date,
                   lang=chunk.lang, source=chunk.source,
                   quote=chunk.text[start - chunk.start:end - chunk.start], chunk_id=chunk.id,
                   start=start, end=end, score=score)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["doc_id"] = d.pop("article_id")
        d["also_reported_in"] = list(self.also_reported_in)
        return d


@dataclass(frozen=True)
class Answer:
    question: str
    text: str  # carries [n] markers matching Citation.n
    citations: list[Citation]
    answerable: bool
    mode: str = "extractive"
    timings_ms: dict[str, float] = field(default_factory=dict)
    lang: str | None = None  # the question's detected language
    # for a refusal: the nearest passages retrieved (index.Hit), offered as "closest passages
    # found"; not part of the JSON contract
    closest: list = field(default_factory=list, compare=False)
    # the probability that the best sentence holds the answer (refused below the threshold)
    confidence: float | None = None
    short_answer: str | None = None  # the name/date/number/place asked for, a span of [1]
    # where the short answer is: {"n": citation, "doc_id", "start", "end"} in article offsets
    short_answer_span: dict | None = None
    # LLM mode: the reply's sentences verification removed, {"sentence", "reason"} each
    removed: tuple[dict, ...] = ()
    notice: str | None = None  # one sentence on what happened (LLM failed, sentences removed)

    def to_dict(self, qid: str | None = None) -> dict:
        return {
            "id": qid,
            "question": self.question,
            "answer": self.text,
            "answerable": self.answerable,
            "citations": [c.to_dict() for c in self.citations],
            "mode": self.mode,
            "timings_ms": self.timings_ms,
            "confidence": self.confidence,
            "short_answer": self.short_answer,
            "short_answer_span": self.short_answer_span,
            "removed": list(self.removed),
            "notice": self.notice,
        }
