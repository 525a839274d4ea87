"""Hybrid retrieval: dense channels fused with the keyword channel.

Per embedder there are two dense channels: the cosine of the question to each chunk, and to
the chunk's best sentence (a question usually matches one sentence better than the whole
passage). The best-sentence channel scores the chunks the other channels found, from the
sentence vectors kept in each chunk (``index.sentvecs``: no graph to build per sentence);
an embedder whose sentences have a graph of their own is searched in it. Each channel's
scores are z-scored over its own top candidates, so models with different cosine ranges
(e5 lives in 0.7-0.9, USE in 0.0-0.5) weigh alike; the keyword channel adds
``keyword * bm25 / max(bm25)``, which lifts passages sharing rare names or numbers with the
question (after transliteration) without outvoting meaning; the name channel adds ``names``
times the share of the question's names (capitalised words, compared by a
spelling-independent key: Ишыкхан = Işıkhan = Ishikhan) found in the chunk.
The weights were chosen by ``python -m benchmarks.xquad`` on XQuAD articles 24-47 and are
reported on articles 0-23.
Filters (languages, date range, article set) are applied inside the store query and to the
keyword channel; a period the question names ("in September 2023", "last December") becomes
a date filter (through the end of the following month, as news is dated after the event) when
some article is dated inside it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np

from index import (
    Chunk,
    Embedder,
    Hit,
    KeywordIndex,
    NameIndex,
    Store,
    name_keys,
    names_match,
    where_clause,
)
from index.sentvecs import searches_sentences

from .dates import question_period
from .questions import instruction_like


@dataclass(frozen=True)
class Filters:
    langs: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    # only these articles (a source/folder filter resolved by the service), None = all
    articles: frozenset[str] | None = None
    sources: tuple[str, ...] = ()  # the source/folder names ``articles`` was resolved from

    @property
    def active(self) -> bool:
        return bool(self.langs or self.since or self.until or self.articles is not None)

    def describe(self) -> str:
        """The filters in a line any language reads: "de, ru · 2025-01-01 – … · news/ru/"."""
        parts = [", ".join(self.langs)] if self.langs else []
        if self.since or self.until:
            parts.append(f"{self.since or '…'} – {self.until or '…'}")
        if self.sources:
            parts.append(", ".join(self.sources))
        return " · ".join(parts)

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
        self._qcache: dict[str, dict[str, np.ndarray]] = {}
        self._names: dict[str, NameIndex] = {}
        self._pool = ThreadPoolExecutor(4, thread_name_prefix="store-query")

    def chunk(self, cid: str) -> Chunk | None:
        """An indexed chunk by id (None if the index does not hold it)."""
        return self.keyword.chunk(cid)

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
        # the store's queries run side by side (Chroma's engine and its HTTP client both
        # release the GIL); the store is opened here first, so a store that cannot be opened
        # fails in this thread, not four times in the workers (Chroma keeps those failures)
        self.store.client  # noqa: B018
        searched = {e.name for e in self.embedders if searches_sentences(e)}
        jobs = {e.name: (self._pool.submit(self.store.query, e.name, qvecs[e.name], depth,
                                           where),
                         self._pool.submit(self.store.query_sentences, e.name, qvecs[e.name],
                                           3 * depth, where) if e.name in searched else None)
                for e in self.embedders}
        found = {name: (a.result(), b.result() if b else []) for name, (a, b) in jobs.items()}
        known = self.keyword.chunks({cid for chunks, sents in found.values()
                                     for cid, _ in chunks + sents})  # stale ids drop out
        dense, sentences = {}, {}
        for name, (chunks, sents) in found.items():
            dense[name] = {cid: s for cid, s in chunks if cid in known}
            best: dict[str, float] = {}
            for cid, s in sents:
                if cid in known and s > best.get(cid, -2.0):
                    best[cid] = s
            sentences[name] = dict(sorted(best.items(), key=lambda kv: -kv[1])[:depth])
        kw = self.keyword.scores(question)
        keyword: dict[str, float] = {}
        mask = self.keyword.mask(filters.langs, filters.since, filters.until, filters.articles)
        if kw.size and mask is not None:
            kw = np.where(mask, kw, 0.0)
        if kw.size and float(kw.max()) > 0:
            top = float(kw.max())
            best_at = np.argpartition(-kw, min(depth, kw.size - 1))[:depth]
            for i in best_at[np.argsort(-kw[best_at])]:
                if kw[i] <= 0:
                    break
                keyword[str(self.keyword.ids[i])] = float(kw[i]) / top
        kept = [e.name for e in self.embedders if e.name not in searched]
        if kept:  # their best sentences among what the other channels found
            pool = sorted(set(keyword).union(*dense.values()))
            jobs2 = {n: self._pool.submit(self.store.kept_sentences, n, pool) for n in kept}
            for n, job in jobs2.items():
                best = {cid: float(np.max(vecs @ qvecs[n])) for cid, (_, vecs)
                        in job.result().items()}
                sentences[n] = dict(sorted(best.items(), key=lambda kv: -kv[1])[:depth])
        wanted = name_keys(question, skip_first=True)
        names = {}
        if wanted:
            pool = set(keyword).union(*dense.values(), *sentences.values())
            for cid, keys in self._name_keys(pool).items():
                found_n = sum(names_match(k, keys) for k in wanted)
                if found_n:
                    names[cid] = found_n / len(wanted)
        return Evidence(dense, sentences, keyword, names)

    def _name_keys(self, ids: set[str]) -> dict[str, NameIndex]:
        """The name keys of each chunk (cached)."""
        todo = [cid for cid in ids if cid not in self._names]
        if len(self._names) > 50000:
            self._names.clear()
        for cid, chunk in self.keyword.chunks(todo).items():
            self._names[cid] = NameIndex(name_keys(chunk.title + "\n" + chunk.text))
        return {cid: self._names[cid] for cid in ids if cid in self._names}

    def admitted(self, filters: Filters) -> tuple[int | None, list[str]]:
        """How many articles pass ``filters`` (None: no filter is set), and, when none does,
        which filters admit no article on their own ("period", "lang", "source")."""
        mask = self.keyword.mask(filters.langs, filters.since, filters.until, filters.articles)
        if mask is None:
            return None, []
        n = int(np.unique(np.asarray(self.keyword.article)[mask]).size)
        if n:
            return n, []
        alone = {"period": ((), filters.since, filters.until, None),
                 "lang": (filters.langs, None, None, None),
                 "source": ((), None, None, filters.articles)}
        empty = [k for k, args in alone.items() if (m := self.keyword.mask(*args)) is not None
                 and not m.any()]
        return 0, empty

    def period_filters(self, question: str, filters: Filters) -> Filters:
        """``filters`` narrowed to the period the question names, when the user gave no
        dates and some chunk is dated inside it."""
        period = question_period(question)
        if not period or filters.since or filters.until:
            return filters
        end = date.fromisoformat(period[1])
        end = (end.replace(day=1) + timedelta(days=62)).replace(day=1) - timedelta(days=1)
        narrowed = replace(filters, since=period[0], until=end.isoformat())
        inside = self.keyword.mask(narrowed.langs, narrowed.since, narrowed.until,
                                   narrowed.articles)
        if inside is not None and inside.any():
            return narrowed
        return filters

    def candidates(self, question: str, k: int, filters: Filters = Filters()) -> list[Candidate]:
        filters = self.period_filters(question, filters)
        ev = self.evidence(question, filters, max(self.depth, 3 * k))
        fused = fuse(ev, self.weights)
        out = []
        chunks = self.keyword.chunks(list(fused))
        for cid, score in fused.items():
            chunk = chunks[cid]
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
