"""Incremental indexing: only new or changed articles are embedded; deleted ones removed."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

import numpy as np

from corpus import Article

from .chunking import chunk_article, chunk_sentences
from .embedders import Embedder
from .keyword import KeywordIndex
from .store import Store

# progress(done, total, what): called while embedding, so a CLI or UI can show progress.
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class IndexReport:
    articles: int
    added: int
    updated: int
    removed: int
    unchanged: int
    skipped: int
    chunks: int
    seconds: float

    def to_dict(self) -> dict:
        return asdict(self)


def index_articles(
    articles: Iterable[Article],
    store: Store,
    embedders: list[Embedder],
    progress: Progress | None = None,
    batch_size: int = 256,
) -> IndexReport:
    """Bring ``store`` in line with ``articles`` for every embedder.

    Holds the store's exclusive lock for the whole run. Per article and embedder, old chunks
    are deleted before the new ones are written, and each chunk records how many its article
    has, so a run killed half-way is completed by the next run.
    """
    t0 = time.perf_counter()
    articles = list(articles)
    with store.locked(exclusive=True):
        for e in embedders:  # vectors of another model version are useless: start over
            if store.model_version(e.name) is not None and not store.is_current(e.name,
                                                                              e.version):
                store.drop(e.name)
        states = {e.name: store.state(e.name) for e in embedders}
        current = {a.id: a for a in articles}

        def done_by(e: Embedder, a: Article) -> bool:
            s = states[e.name].get(a.id)
            return s is not None and s.sha256 == a.sha256 and s.complete

        added = updated = unchanged = 0
        todo: list[Article] = []
        for a in articles:
            if all(done_by(e, a) for e in embedders):
                unchanged += 1
                continue
            todo.append(a)
            if any(a.id in states[e.name] for e in embedders):
                updated += 1
            else:
                added += 1
        gone = {aid for st in states.values() for aid in st} - set(current)
        for e in embedders:
            store.delete_articles(e.name, sorted(gone))

        chunked = {a.id: chunk_article(a) for a in todo}
        for e in embedders:
            # Only what this embedder lacks: a newly configured model embeds everything,
            # the others nothing.
            mine = [(a, chunked[a.id]) for a in todo if not done_by(e, a)]
            total, done = sum(len(cs) for _, cs in mine), 0
            if progress and total:
                progress(0, total, f"embedding with {e.name}")
            # Many articles' chunks per call: the model sorts them by length before batching,
            # and one Chroma write per group is ~20x faster than one per article. Old chunks
            # of the group's articles are deleted first; every chunk records its article's
            # chunk count, so a run killed half-way leaves articles the next run re-does.
            for group in _groups(mine, batch_size):
                texts = [c.text for _, chunks in group for c in chunks]
                sents = [c.text[s:t] for _, chunks in group for c in chunks
                         for s, t in chunk_sentences(c)]
                vectors = (e.encode_documents(texts + sents) if texts
                           else np.zeros((0, 0), np.float32))
                store.delete_articles(e.name, [a.id for a, _ in group
                                               if a.id in states[e.name]])
                store.add(e.name, e.version, [(a.sha256, chunks) for a, chunks in group],
                          vectors[:len(texts)], vectors[len(texts):])
                done += len(texts)
                if progress:
                    progress(done, total, f"embedding with {e.name}")

        n_chunks = refresh_keyword_index(store, embedders[0].name)
    return IndexReport(
        articles=len(articles),
        added=added,
        updated=updated,
        removed=len(gone),
        unchanged=unchanged,
        skipped=0,
        chunks=n_chunks,
        seconds=round(time.perf_counter() - t0, 3),
    )


def _groups(chunked: list[tuple[Article, list]], size: int):
    """Consecutive runs of articles holding about ``size`` chunks together."""
    group: list[tuple[Article, list]] = []
    n = 0
    for item in chunked:
        group.append(item)
        n += len(item[1])
        if n >= size:
            yield group
            group, n = [], 0
    if group:
        yield group


def refresh_keyword_index(store: Store, embedder: str) -> int:
    """Rebuild the keyword index from the store's chunks unless it already matches them."""
    chunks = store.chunks(embedder)
    fingerprint = hashlib.sha256(
        "\n".join(f"{c.id}\t{c.start}\t{c.end}\t{c.title}\t{c.date}\t{c.lang}\t{c.text}"
                  for c in chunks).encode()
    ).hexdigest()
    saved = KeywordIndex.load(store.keyword_dir)
    if saved is None or saved[1] != fingerprint:
        KeywordIndex(chunks).save(store.keyword_dir, fingerprint)
    return len(chunks)
