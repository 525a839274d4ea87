"""Incremental, crash-safe indexing that streams the corpus.

Articles are read one file at a time and embedded in groups of about ``batch_size`` chunks,
so memory does not grow with the archive. The manifest (``manifest.py``) records what is done;
a run killed at any point (even SIGKILL) leaves a state the next run completes into exactly
the index an uninterrupted run makes: same chunk ids, no duplicates, no orphans.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from corpus import (
    Article,
    CorpusError,
    FileDone,
    KnownFile,
    Skipped,
    StoreError,
    find_files,
    scan_corpus,
)
from corpus.loader import MAX_ARTICLE_CHARS

from .chunking import chunk_article, chunk_sentences
from .embedders import Embedder, encode_with_spans
from .keyword_index import update_keyword_index
from .links import MAX_DAYS, THRESHOLD, same_story_links
from .sentvecs import searches_sentences
from .store import Store


@dataclass(frozen=True)
class Step:
    """Where an index run is: files done of the corpus's files, articles read so far."""

    done: int
    total: int
    articles: int
    seconds: float  # since the run started
    # inside a large batch (a long article): chunks embedded, of all, seconds since the
    # batch's first step
    chunks: tuple[int, int, float] | None = None

    @property
    def rate(self) -> float:
        """Articles per second so far."""
        return self.articles / max(self.seconds, 1e-9)

    def figures(self) -> str:
        out = f"{self.articles} articles, {self.rate:.1f} articles/s"
        if self.chunks and self.chunks[0] < self.chunks[1]:
            done, total, secs = self.chunks
            left = secs / max(done, 1) * (total - done)
            out += f"; a long article: {done}/{total} chunks embedded, about {left:.0f} s left"
        return out


Progress = Callable[[Step], None]


class PruneRefused(CorpusError):
    """The run would remove most of the index (a wrong --corpus, an unmounted share): refused
    unless confirmed with ``prune=True``; articles added by the run are kept."""

    publishes = True  # the run completed all else: its generation is published

    def __init__(self, removed: int, indexed: int, root: str | Path | None = None):
        self.removed, self.indexed = removed, indexed
        share = "all of them" if removed == indexed else "more than half"
        where = f"in {root}" if root is not None else "in the corpus"
        super().__init__(
            f"this run would remove {removed} of the {indexed} indexed articles ({share}) "
            f"because their files are not {where}: check --corpus, or pass --prune to "
            "remove them.")


def would_prune_too_much(removed: int, indexed: int) -> bool:
    """The guard's rule: removing every indexed article, or more than half of them."""
    return removed > 0 and (removed == indexed or 2 * removed > indexed)


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
    skipped_files: tuple[Skipped, ...] = ()
    links: int = 0
    timings: dict[str, float] = field(default_factory=dict)  # seconds by phase
    shard: str = ""  # "I/N" for a run of one shard
    shards_done: int = 0  # shards of its round finished when it ended (N: it published)

    def counts(self) -> str:
        """What the run changed, in words: "2 added, 1 updated, 0 removed, 5 unchanged"."""
        return (f"{self.added} added, {self.updated} updated, {self.removed} removed, "
                f"{self.unchanged} unchanged")

    def to_dict(self) -> dict:
        """The command-line contract's fields."""
        out = {k: getattr(self, k) for k in ("articles", "added", "updated", "removed",
                                              "unchanged", "skipped", "chunks", "seconds")}
        return {**out, "shard": self.shard, "shards_done": self.shards_done} if self.shard \
            else out


def index_corpus(root: str | Path, store: Store, embedders: list[Embedder],
                 fields: Mapping[str, tuple[str, ...]] | None = None,
                 progress: Progress | None = None, batch_size: int = 256,
                 prune: bool = False, max_chars: int = MAX_ARTICLE_CHARS) -> IndexReport:
    """Index the corpus folder ``root``: files whose bytes are already indexed (by every
    embedder) are not even parsed. Unless ``prune``, a run that would remove most of the
    index raises PruneRefused (see index_articles)."""
    names = [e.name for e in embedders]
    total = len(find_files(Path(root)))
    # Lazy: files are read as index_articles consumes them, after it dropped stale models,
    # so "unchanged" is judged against what the store really holds.
    items = scan_corpus(root, fields,
                        unchanged=lambda f, sha: store.manifest.unchanged(f, sha, names),
                        max_chars=max_chars)
    try:
        return index_articles(items, store, embedders, progress, batch_size, total, prune)
    except PruneRefused as exc:
        raise PruneRefused(exc.removed, exc.indexed, root) from None


def _drop_stale(store: Store, embedders: list[Embedder]) -> None:
    """Vectors of another model version (or layout) are useless: start that model over. The
    manifest forgets them before the collection goes, so a kill in between is harmless. A
    shard drops nothing: the other shards write the same collections (one may be creating
    the collection this one found missing)."""
    for e in embedders:
        if not store.is_current(e.name, e.version):
            if store.shard is not None and store.model_version(e.name) is not None:
                raise StoreError(
                    f"the store at {store} holds {e.name} vectors of another model version or "
                    "layout: run one 'index' without --shard first (it re-embeds them), then "
                    "the shards.")
            store.manifest.clear_embedder(e.name)
            if store.shard is None:
                store.drop(e.name)


def index_articles(
    items: Iterable[Article | FileDone | KnownFile | Skipped],
    store: Store,
    embedders: list[Embedder],
    progress: Progress | None = None,
    batch_size: int = 256,
    total_files: int | None = None,
    prune: bool = False,
) -> IndexReport:
    """Bring ``store`` in line with ``items`` for every embedder, holding the store's lock.

    ``items`` is what ``corpus.scan_corpus`` yields (or just Articles): Articles; FileDone
    after a file's articles; KnownFile for a file known unchanged; Skipped files (counted and
    listed in the report).

    Articles the items no longer hold are removed, unless that is every indexed article or
    more than half of them and ``prune`` is false: then nothing is removed, the run still
    completes what it added or updated, and PruneRefused is raised at the end."""
    with store.locked(exclusive=True):
        _drop_stale(store, embedders)
        run = _Run(store, embedders, progress, batch_size, total_files)
        for item in items:
            run.take(item)
        run.flush()
        return run.finish(prune)


class _Run:
    """One index run: groups changed articles into batches of about ``batch_size`` chunks,
    then removes what is gone and refreshes the keyword index and the links."""

    def __init__(self, store: Store, embedders: list[Embedder], progress: Progress | None,
                 batch_size: int, total_files: int | None):
        self.store, self.embedders, self.man = store, embedders, store.manifest
        self.progress, self.batch_size, self.total_files = progress, batch_size, total_files
        self.t0 = time.perf_counter()
        self.timings = {"embed": 0.0, "write": 0.0}
        self.done = {e.name: self.man.embedded(e.name) for e in embedders}
        self.shard = store.shard  # a shard run sees only the articles it owns
        self.known = {i for i in self.man.ids() if self.mine(i)}
        self.read_any = False  # an article was read (its shard's or another's)
        self.seen: set[str] = set()
        self.seen_files: set[str] = set()
        self.skipped: list[Skipped] = []
        self.counts = {"added": 0, "updated": 0, "unchanged": 0}
        self.group: list[tuple[Article, list]] = []
        self.in_group = 0
        self.files_done = 0
        self._batch_t0: float | None = None

    def report_progress(self, chunks: tuple[int, int, float] | None = None) -> None:
        if self.progress and self.total_files and self.seen:
            self.progress(Step(self.files_done, self.total_files, len(self.seen),
                               time.perf_counter() - self.t0, chunks))

    def tick(self, done: int, total: int) -> None:
        """Progress inside a large batch (one long article): chunks embedded of its total."""
        if self._batch_t0 is None or done <= self.batch_size:
            self._batch_t0 = time.perf_counter()
        self.report_progress((done, total, time.perf_counter() - self._batch_t0))

    def mine(self, article_id: str) -> bool:
        return self.shard is None or self.shard.owns(article_id)

    def take(self, item: Article | FileDone | KnownFile | Skipped) -> None:
        if isinstance(item, Skipped):
            self.skipped.append(item)
            self.files_done += 1
        elif isinstance(item, FileDone):  # trusted later only with every embedded mark
            self.man.record_file(item.source, item.sha256, item.ids)
            self.seen_files.add(item.source)
            self.files_done += 1
        elif isinstance(item, KnownFile):
            ids = [i for i in item.ids if self.mine(i)]
            self.seen.update(ids)
            self.seen_files.add(item.source)
            self.counts["unchanged"] += len(ids)
            self.read_any = True
            self.files_done += 1
            if self.files_done % 200 == 0:
                self.report_progress()
        else:
            self.take_article(item)

    def take_article(self, a: Article) -> None:
        self.read_any = True
        if not self.mine(a.id):
            return
        self.seen.add(a.id)
        if all(self.done[e.name].get(a.id) == a.sha256 for e in self.embedders):
            self.counts["unchanged"] += 1
            return
        self.counts["updated" if a.id in self.known else "added"] += 1
        chunks = chunk_article(a)
        self.group.append((a, chunks))
        self.in_group += len(chunks)
        if self.in_group >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if self.group:
            _write_group(self.store, self.embedders, self.group, self.done, self.timings,
                         self.tick, self.batch_size)
            for a, _ in self.group:
                for e in self.embedders:
                    self.done[e.name][a.id] = a.sha256
            self.group, self.in_group = [], 0
        self.report_progress()

    def finish(self, prune: bool) -> IndexReport:
        """Remove what is gone (unless refused), refresh keyword index and links, report."""
        if self.skipped and not self.read_any:  # a folder of unreadable files: keep the index
            first = self.skipped[0]
            raise CorpusError(
                f"none of the {len(self.skipped)} files in the corpus holds a readable article "
                f"({first.source}: {first.reason}); the index was left as it was.")
        gone = sorted(self.known - self.seen)
        refused = None
        if not prune and would_prune_too_much(len(gone), len(self.known)):
            refused, gone = PruneRefused(len(gone), len(self.known)), []
        t = time.perf_counter()
        for e in self.embedders:  # vectors first, manifest rows last: a kill between is redone
            self.store.delete_articles(e.name, gone)
        self.man.delete(gone)
        self.man.forget_files(self.seen_files)
        self.timings["write"] += time.perf_counter() - t
        if self.shard is None:
            t = time.perf_counter()
            n_chunks = refresh_keyword_index(self.store, self.embedders[0].name)
            self.timings["keyword"] = time.perf_counter() - t
            t = time.perf_counter()
            n_links = refresh_links(self.store, [e.name for e in self.embedders])
            self.timings["links"] = time.perf_counter() - t
        else:  # the round's last shard links every article; readers build keyword indexes
            n_chunks, n_links = self.man.chunk_count(self.seen), 0
        self.man.stamp_generation()  # readers in other processes reopen the store
        if refused is not None:
            raise refused
        return IndexReport(
            articles=len(self.seen), added=self.counts["added"], updated=self.counts["updated"],
            removed=len(gone), unchanged=self.counts["unchanged"], skipped=len(self.skipped),
            chunks=n_chunks, seconds=round(time.perf_counter() - self.t0, 3),
            skipped_files=tuple(self.skipped), links=n_links,
            timings={k: round(v, 3) for k, v in self.timings.items()},
            shard=str(self.shard or ""))


def _write_group(store: Store, embedders: list[Embedder], group: list[tuple[Article, list]],
                 done: dict[str, dict[str, str]], timings: dict[str, float],
                 tick: Callable[[int, int], None] | None = None, batch: int = 256) -> None:
    """Embed and write one group of articles: manifest first, then for each embedder old
    vectors out, new vectors in, then the embedder's mark in the manifest. The chunks are
    embedded ``batch`` at a time, each step told to ``tick(done, total)`` (a long article
    shows progress inside it)."""
    man = store.manifest
    todo = sum(len(cs) for e in embedders for a, cs in group
               if done[e.name].get(a.id) != a.sha256)
    embedded = 0
    t = time.perf_counter()
    man.begin((a, len(chunks)) for a, chunks in group)
    timings["write"] += time.perf_counter() - t
    for e in embedders:
        # Only what this embedder lacks: a newly configured model embeds everything,
        # the others nothing.
        mine = [(a, cs) for a, cs in group if done[e.name].get(a.id) != a.sha256]
        if not mine:
            continue
        texts = [c.text for _, chunks in mine for c in chunks]
        spans = [chunk_sentences(c) for _, chunks in mine for c in chunks]
        t = time.perf_counter()
        parts = []
        for i in range(0, len(texts), batch):
            parts.append(encode_with_spans(e, texts[i:i + batch], spans[i:i + batch]))
            embedded += len(texts[i:i + batch])
            if tick and todo > batch:
                tick(embedded, todo)
        vectors = np.concatenate([v for v, _ in parts])
        sentence_vectors = np.concatenate([s for _, s in parts])
        timings["embed"] += time.perf_counter() - t
        t = time.perf_counter()
        store.delete_articles(e.name, [a.id for a, _ in mine])
        store.add(e.name, e.version, [(a.sha256, chunks) for a, chunks in mine],
                  vectors, sentence_vectors, searched=searches_sentences(e))
        man.mark_embedded(e.name, [(a.id, a.sha256) for a, _ in mine])
        timings["write"] += time.perf_counter() - t


def refresh_keyword_index(store: Store, embedder: str) -> int:
    """Bring the keyword index to the articles the embedder's collection holds (by the
    manifest): only new and changed articles are fetched and tokenised."""
    man = store.read_manifest()
    wanted = man.embedded(embedder) if man is not None else {}
    return update_keyword_index(store.keyword_dir, store.model_version(embedder) or "",
                                wanted, lambda ids: store.chunks_of(embedder, ids))


def refresh_links(store: Store, embedders: list[str]) -> int:
    """Recompute the same-story links unless the articles are those they were made from."""
    man = store.manifest
    fingerprint = f"{man.fingerprint()} {' '.join(embedders)} {THRESHOLD} {MAX_DAYS}"
    if man.get_meta("links_of") != fingerprint:
        meta = {m["id"]: m for m in man.catalogue()}
        man.set_links(same_story_links(store, embedders, meta), fingerprint)
    return len(man.links())
