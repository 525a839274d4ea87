"""Hybrid retrieval: dense channels fused with the keyword channel.

Per embedder there are two dense channels: the cosine of the question to each chunk, and to
the chunk's best sentence (a question usually matches one sentence better than the whole
passage). Each channel's scores are z-scored over its own top candidates, so models with
different cosine ranges (e5 lives in 0.7-0.9, USE in 0.0-0.5) weigh alike; the keyword channel
adds ``keyword * bm25 / max(bm25)``, which lifts passages sharing rare names or numbers with
the question (after transliteration) without outvoting meaning; the name channel adds
``names`` times the share of the question's names (capitalised words, compared by a
spelling-independent key: Ишыкхан = Işıkhan = Ishikhan) found in the chunk.
The weights were chosen by ``python -m benchmarks.xquad`` on XQuAD articles 24-47 and are
reported on articles 0-23.
Filters (languages, date range, article set) are applied inside the store query and to the
keyword channel; a period the question names ("in September 2023", "last December") becomes
a date filter (through the end of the following month, as news is dated after the event) when
some article is dated inside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np

from index import Chunk, Embedder, Hit, KeywordIndex, Store, name_keys, names_match, where_clause

from .dates import question_period
from .questions import instruction_like


@dataclass(frozen=True)
class Filters:
    langs: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    # only these articles (a source/folder filter resolved by the service), None = all
    articles: frozenset[str] | None = None

    def accepts(self, chunk: Chunk) -> bool:
        if self.articles is not None and chunk.article_id not in self.articles:
            return False
        if self.langs and chunk.lang not in self.langs:
            return False
        if self.since and (not chunk.date or chunk.date < self.since):
            return False
        return not (self.until and (not chunk.date or chunk.date > self.until))


@dataclass(frozen=True)
class Weights:
    """Fusion weights; every dense channel has weight 1 unless ``models`` says otherwise."""

    keyword: float = 1.0
    sentences: float = 0.75
    names: float = 1.0
    models: dict[str, float] = field(default_factory=dict)


@dataclass
class Evidence:
    """What every channel returned for one question: chunk id -> score."""

    dense: dict[str, dict[str, float]]  # embedder -> chunk -> cosine
    sentences: dict[str, dict[str, float]]  # embedder -> chunk -> its best sentence's cosine
    keyword: dict[str, float]  # chunk -> BM25 / best BM25
    names: dict[str, float] = field(default_factory=dict)  # chunk -> share of names found


@dataclass(frozen=True)
class Candidate:
    """A fused hit with the per-channel evidence kept for the answerer."""

    chunk: Chunk
    score: float
    dense: dict[str, float]  # embedder name -> cosine, for the channels that returned it
    keyword: float  # normalised BM25 in [0, 1]


def _zscored(channel: dict[str, float]) -> tuple[dict[str, float], float]:
    """z-scores of a channel's candidates, and the score of a chunk it did not return (its
    floor)."""
    if not channel:
        return {}, 0.0
    v = np.fromiter(channel.values(), float)
    mu, sd = float(v.mean()), float(v.std()) or 1.0
    return {cid: (x - mu) / sd for cid, x in channel.items()}, (float(v.min()) - mu) / sd


def fuse(ev: Evidence, w: Weights) -> dict[str, float]:
    """The fused score of every chunk any channel returned (a pure function: the benchmark
    calls it with many weight settings on the same evidence)."""
    channels = [(_zscored(ch), w.models.get(name, 1.0))
                for name, ch in ev.dense.items() if ch]
    channels += [(_zscored(ch), w.sentences * w.models.get(name, 1.0))
                 for name, ch in ev.sentences.items() if ch]
    pool = set(ev.keyword).union(*(ch for (ch, _), _ in channels))
    return {
        cid: sum(weight * z.get(cid, floor) for (z, floor), weight in channels)
        + w.keyword * ev.keyword.get(cid, 0.0) + w.names * ev.names.get(cid, 0.0)
        for cid in pool
    }


class Retriever:
    def __init__(
        self,
        store: Store,
        embedders: list[Embedder],
        keyword: KeywordIndex,
        weights: Weights = Weights(),
        depth: int = 30,
        per_article: int = 2,
    ):
        self.store = store
        self.embedders = embedders
        self.keyword = keyword
        self.weights = weights
        self.depth = depth
        self.per_article = per_article
        self.by_id = {c.id: c for c in keyword.chunks}
        self._qcache: dict[str, dict[str, np.ndarray]] = {}
        self._names: dict[str, set[str]] = {}

    def query_vectors(self, question: str) -> dict[str, np.ndarray]:
        """The question's vector for each embedder (the last few are cached)."""
        hit = self._qcache.get(question)
        if hit is None:
            hit = {e.name: e.encode_queries([question])[0] for e in self.embedders}
            if len(self._qcache) > 64:
                self._qcache.pop(next(iter(self._qcache)))
            self._qcache[question] = hit
        return hit

    def search(self, question: str, k: int = 5, filters: Filters = Filters()) -> list[Hit]:
        return [Hit(c.chunk, round(c.score, 4), i + 1)
                for i, c in enumerate(self.candidates(question, k, filters))]

    def evidence(self, question: str, filters: Filters = Filters(), depth: int | None = None
                 ) -> Evidence:
        depth = depth or self.depth
        where = where_clause(list(filters.langs), filters.since, filters.until,
                             None if filters.articles is None else sorted(filters.articles))
        qvecs = self.query_vectors(question)
        dense, sentences = {}, {}
        for e in self.embedders:
            q = qvecs[e.name]
            dense[e.name] = {cid: s for cid, s in self.store.query(e.name, q, depth, where)
                             if cid in self.by_id}
            best: dict[str, float] = {}
            for cid, s in self.store.query_sentences(e.name, q, 3 * depth, where):
                if cid in self.by_id and s > best.get(cid, -2.0):
                    best[cid] = s
            sentences[e.name] = dict(sorted(best.items(), key=lambda kv: -kv[1])[:depth])
        kw = self.keyword.scores(question)
        keyword: dict[str, float] = {}
        if kw.size:
            kw = np.where([filters.accepts(c) for c in self.keyword.chunks], kw, 0.0)
            top = float(kw.max())
            if top > 0:
                for i in np.argsort(-kw)[:depth]:
                    if kw[i] <= 0:
                        break
                    keyword[self.keyword.chunks[i].id] = float(kw[i]) / top
        wanted = name_keys(question, skip_first=True)
        names = {}
        if wanted:
            for cid in set(keyword).union(*dense.values(), *sentences.values()):
                found = sum(names_match(k, self._name_keys(cid)) for k in wanted)
                if found:
                    names[cid] = found / len(wanted)
        return Evidence(dense, sentences, keyword, names)

    def _name_keys(self, cid: str) -> set[str]:
        keys = self._names.get(cid)
        if keys is None:
            chunk = self.by_id[cid]
            keys = self._names[cid] = name_keys(chunk.title + "\n" + chunk.text)
        return keys

    def period_filters(self, question: str, filters: Filters) -> Filters:
        """``filters`` narrowed to the period the question names, when the user gave no
        dates and some chunk is dated inside it."""
        period = question_period(question)
        if not period or filters.since or filters.until:
            return filters
        end = date.fromisoformat(period[1])
        end = (end.replace(day=1) + timedelta(days=62)).replace(day=1) - timedelta(days=1)
        narrowed = replace(filters, since=period[0], until=end.isoformat())
        if any(narrowed.accepts(c) for c in self.by_id.values()):
            return narrowed
        return filters

    def candidates(self, question: str, k: int, filters: Filters = Filters()) -> list[Candidate]:
        filters = self.period_filters(question, filters)
        ev = self.evidence(question, filters, max(self.depth, 3 * k))
        fused = fuse(ev, self.weights)
        out = []
        for cid, score in fused.items():
            chunk = self.by_id[cid]
            if not filters.accepts(chunk):
                continue
            out.append(Candidate(chunk, score,
                                 {name: ch[cid] for name, ch in ev.dense.items() if cid in ch},
                                 ev.keyword.get(cid, 0.0)))
        # text addressed to an assistant ("ignore previous instructions...") never outranks
        # passages that state facts
        out.sort(key=lambda c: (instruction_like(c.chunk.text), -c.score))
        return diversified(out, k, self.per_article)


def diversified(ranked: list[Candidate], k: int, per_article: int) -> list[Candidate]:
    """The top k with at most ``per_article`` chunks of one article, so that other articles
    (other languages, other outlets) are seen; filled up from the rest if too few."""
    taken: dict[str, int] = {}
    head, rest = [], []
    for c in ranked:
        n = taken.get(c.chunk.article_id, 0)
        if n < per_article and len(head) < k:
            head.append(c)
            taken[c.chunk.article_id] = n + 1
        else:
            rest.append(c)
    return head + rest[: k - len(head)]
