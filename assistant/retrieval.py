"""Hybrid retrieval: dense channels (one per embedder) fused with the keyword channel.

Each dense channel's cosines are z-scored over its own top candidates, so models with
different cosine ranges (e5 lives in 0.7-0.9, USE in 0.0-0.5) weigh the same; the keyword
channel adds ``keyword_weight * bm25 / max(bm25)``, which lifts passages that share rare names
or numbers with the question (after transliteration) without letting it outvote meaning.
Filters (languages, date range) are applied inside the store query and to the keyword channel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index import Chunk, Embedder, Hit, KeywordIndex, Store, where_clause


@dataclass(frozen=True)
class Filters:
    langs: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None

    def accepts(self, chunk: Chunk) -> bool:
        if self.langs and chunk.lang not in self.langs:
            return False
        if self.since and (not chunk.date or chunk.date < self.since):
            return False
        return not (self.until and (not chunk.date or chunk.date > self.until))


@dataclass(frozen=True)
class Candidate:
    """A fused hit with the per-channel evidence kept for the answerer."""

    chunk: Chunk
    score: float
    dense: dict[str, float]  # embedder name -> cosine, for the channels that returned it
    keyword: float  # normalised BM25 in [0, 1]


class Retriever:
    def __init__(
        self,
        store: Store,
        embedders: list[Embedder],
        keyword: KeywordIndex,
        keyword_weight: float = 1.0,
        depth: int = 30,
    ):
        self.store = store
        self.embedders = embedders
        self.keyword = keyword
        self.keyword_weight = keyword_weight
        self.depth = depth
        self.by_id = {c.id: c for c in keyword.chunks}
        self._qcache: dict[str, dict[str, np.ndarray]] = {}

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

    def candidates(self, question: str, k: int, filters: Filters = Filters()) -> list[Candidate]:
        where = where_clause(list(filters.langs), filters.since, filters.until)
        depth = max(self.depth, 3 * k)
        channels: list[tuple[dict[str, float], float, float, float]] = []
        dense: dict[str, dict[str, float]] = {}
        qvecs = self.query_vectors(question)
        for e in self.embedders:
            q = qvecs[e.name]
            got = {cid: s for cid, s in self.store.query(e.name, q, depth, where)
                   if cid in self.by_id}
            if not got:
                continue
            sims = np.fromiter(got.values(), float)
            channels.append((got, float(sims.mean()), float(sims.std()) or 1.0, float(sims.min())))
            for cid, s in got.items():
                dense.setdefault(cid, {})[e.name] = s
        fused = {
            cid: sum((got.get(cid, floor) - mu) / sd for got, mu, sd, floor in channels)
            for cid in dense
        }
        kw = self.keyword.scores(question)
        if kw.size:
            mask = np.array([filters.accepts(c) for c in self.keyword.chunks])
            kw = np.where(mask, kw, 0.0)
        top = float(kw.max()) if kw.size else 0.0
        kw_norm: dict[str, float] = {}
        if top > 0:
            for i in np.argsort(-kw)[:depth]:
                if kw[i] <= 0:
                    break
                cid = self.keyword.chunks[i].id
                kw_norm[cid] = float(kw[i]) / top
                if cid not in fused:  # keyword-only candidate: every dense channel at its floor
                    fused[cid] = sum((floor - mu) / sd for _, mu, sd, floor in channels)
        out = []
        for cid, score in fused.items():
            chunk = self.by_id[cid]
            if not filters.accepts(chunk):
                continue
            kn = kw_norm.get(cid, 0.0)
            out.append(Candidate(chunk, score + self.keyword_weight * kn, dense.get(cid, {}), kn))
        out.sort(key=lambda c: -c.score)
        return out[:k]
