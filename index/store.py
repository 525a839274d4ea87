"""The vector store: a Chroma persistent collection per embedder, with explicit embeddings.

A store folder holds generations (``generations.py``), each with ``chroma/`` (the Chroma
database), ``manifest.sqlite`` (the articles, their content hashes and what is embedded: see
``manifest.py``) and ``keyword/`` (the BM25 index and the chunk table); and ``.lock`` (an
flock ``index`` takes: one writer at a time). Readers take no lock: they answer from the
published generation while a run writes the next.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from corpus import StoreError, UsageError

from .chunking import chunk_sentences
from .embedders import slug
from .generations import Generations
from .manifest import Manifest
from .model import Chunk, date_num, sentence_id
from .readonly import writable_copy
from .sentvecs import pack
from .store_read import Reading

# What a collection holds besides the model's vectors; part of the recorded version, so a
# store written before a layout change is rebuilt rather than half-used.
# 3: the sentences of embedders that are not searched are kept in their chunk (sentvecs)
LAYOUT = "chunks+sentences 3; manifest 1"
HNSW = {"space": "cosine"}  # each collection's graph, set when it is created


class Store(Reading):
    remote = False  # a folder here; index.remote.RemoteStore is a Chroma server
    shard = None  # a RemoteStore's shards.Shard when it is written by one shard of a round

    def __init__(self, path: str | Path):
        text = str(path)
        if "://" in text:
            raise UsageError(f"store {text} is a URL: open it with index.open_store.")
        self.path = Path(path).resolve()
        self._client = None
        self._manifest: Manifest | None = None
        self._manifest_checked = False  # layout checked (writers) since it was opened
        self._held: str | None = None  # "exclusive" while this object holds the lock
        self.gens = Generations(self.path)
        self._work: Path | None = None  # the generation this object writes (holding .lock)
        self._pinned: Path | None = None  # the published generation it reads
        self._pin: int | None = None  # the descriptor that pins it
        self._copy: Path | None = None  # a read-only store's database files, copied
        self._opening = threading.RLock()
        # (embedder, kind) -> (collection or None, its count or None until a query needs it)
        self._counts: dict[tuple[str, str], tuple] = {}
        self._max_batch: int | None = None  # rows per Chroma write, asked once
        self._wrote = False  # this run wrote vectors (its generation is kept to resume)

    def __str__(self) -> str:
        return str(self.path)

    # -- set-up ---------------------------------------------------------------------------
    def ensure_writable(self) -> None:
        """Create the folder; raise StoreError if it cannot be written."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            probe = self.path / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise StoreError(
                f"cannot write to store {self.path} ({exc.strerror or exc}): pass a writable "
                "folder with --store."
            ) from None

    def clone(self, shard=None) -> Store:
        """Another handle on the store (an in-process run writes through one, asks another);
        ``shard`` (a shards.Shard) is for a server store."""
        if shard is not None:
            raise UsageError(f"--shard is for a Chroma server store (--store http://host:port), "
                             f"and {self.path} is a folder: index it with one run.")
        return Store(self.path)

    def exists(self) -> bool:
        return ((self.data_dir / "chroma").is_dir() and self.manifest_path.is_file()
                and (self.data_dir / "keyword" / "table.sqlite").is_file())

    @property
    def manifest_path(self) -> Path:
        return self._readable_root() / "manifest.sqlite"

    @property
    def data_dir(self) -> Path:
        """The generation this object reads (pinned when first used) or, while it holds
        the lock, the one it writes."""
        if self._work is not None:
            return self._work
        with self._opening:
            if self._pinned is None:
                if self.read_only():
                    self._pinned = self.gens.published_dir()
                else:
                    self._pinned, self._pin = self.gens.pin()
            return self._pinned

    def _readable_root(self) -> Path:
        """The generation's folder; for a read-only store, a copy of its database files in
        the cache (SQLite and Chroma write even to read), made once per state of the store."""
        root = self.data_dir
        if self._work is not None or not self.read_only():
            return root
        if self._copy is None:
            self._copy = writable_copy(root)
        return self._copy

    @property
    def manifest(self) -> Manifest:
        """The manifest, created if missing (writers); a store written before the manifest
        existed, or with another layout, is emptied first so nothing stale survives."""
        if not self._manifest_checked:
            self.ensure_writable()
            man = self._manifest or Manifest(self.manifest_path)
            if man.get_meta("layout") != LAYOUT:
                self._start_layout(man)
            self._manifest, self._manifest_checked = man, True
        return self._manifest

    def _start_layout(self, man: Manifest) -> None:
        """A store written before the manifest existed, or with another layout: emptied."""
        for col in self.client.list_collections():
            self.client.delete_collection(getattr(col, "name", col))
        man.delete(man.ids())
        man.forget_files(set())
        man.set_meta("layout", LAYOUT)

    def close(self) -> None:
        """Release the Chroma client, the manifest and the pinned generation (the next use
        opens the published one)."""
        self._counts.clear()
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._manifest is not None:
            self._manifest.close()
            self._manifest, self._manifest_checked = None, False
        if self._pin is not None:
            os.close(self._pin)
            if self._pinned != self.gens.published_dir():
                self.gens.collect()  # the last reader of an old generation removes it
        self._pinned = self._pin = self._copy = None

    def generation(self) -> str | None:
        """A stamp every completed ``index`` run changes: the published one's (None before
        the first run); while this object writes, its run's."""
        published = self.gens.published()
        if published is not None and self._work is None:
            return published[1]
        man = self.read_manifest()
        return man.get_meta("generation") if man else None

    def read_manifest(self) -> Manifest | None:
        """The manifest for reading, or None if this store has none yet."""
        if self._manifest is None and self.manifest_path.is_file():
            self._manifest = Manifest(self.manifest_path)
        return self._manifest

    @property
    def keyword_dir(self) -> Path:
        return self.data_dir / "keyword"

    @contextmanager
    def locked(self, exclusive: bool, empty: bool = False) -> Iterator[None]:
        """Exclusive: hold the store's lock (failing at once with a clear message if another
        run has it) and write a new generation, published when the block ends well (or
        with an error that ``publishes``: the run completed all it could), else kept for the
        next run to resume (``empty``: a generation that starts empty, for a rebuild).
        Shared: nothing to hold, readers never wait. Re-entrant."""
        if not exclusive or self._held == "exclusive":
            yield
            return
        self.ensure_writable()
        with self.gens.writing():
            self.close()  # this object now reads and writes its own generation
            base = self.gens.current()
            try:
                self._work, self._held, self._wrote = self.gens.begin(empty), "exclusive", False
                try:
                    yield
                except BaseException as exc:
                    self._end(base, publish=getattr(exc, "publishes", False))
                    raise
                self._end(base, publish=True)
            finally:
                self._held = self._work = None

    def _end(self, base: tuple[str, str], publish: bool) -> None:
        man, work = self.read_manifest(), self._work
        stamp = man.get_meta("generation") if man is not None else None
        if publish and self._wrote and man is not None and (stamp or "") == base[1]:
            man.stamp_generation()  # written outside an index run: a generation all the same
            stamp = man.get_meta("generation")
        self.close()
        self.gens.finish(work, base, stamp, publish, self._wrote)

    def read_only(self) -> bool:
        """The store's folder cannot be written (a read-only mount, a shared archive)."""
        return self.path.is_dir() and not os.access(self.path, os.W_OK)

    @property
    def client(self):
        with self._opening:  # queries run in threads: one client per store
            return self._open_client()

    def _open_client(self):
        if self._client is None:
            import chromadb
            from chromadb.config import Settings

            folder = self._readable_root() / "chroma"
            try:
                self._client = chromadb.PersistentClient(
                    path=str(folder),
                    settings=Settings(anonymized_telemetry=False, allow_reset=False),
                )
            except Exception:  # noqa: BLE001 - Chroma raises many kinds here
                raise StoreError(
                    f"the store in {self.path} is damaged (its Chroma database cannot be "
                    "opened): rebuild it with 'python -m assistant index --rebuild', which "
                    "indexes the corpus again, or pass another folder with --store."
                ) from None
        return self._client

    def clear(self) -> None:
        """Remove the index from the generation being written (the caller holds the lock)."""
        self.close()
        self._wrote = True
        for name in ("chroma", "keyword", "keyword.tmp", "keyword.old"):
            shutil.rmtree(self.data_dir / name, ignore_errors=True)
        for name in ("manifest.sqlite", "manifest.sqlite-wal", "manifest.sqlite-shm"):
            (self.data_dir / name).unlink(missing_ok=True)

    def collection(self, embedder: str, version: str | None = None, kind: str = "chunks"):
        """The embedder's collection of chunk (or ``kind="sents"``: sentence) vectors; with
        ``version``, created (recording that model version) if missing."""
        name = f"{kind}-{slug(embedder)}"
        if version is not None:
            return self.client.get_or_create_collection(
                name, embedding_function=None, configuration={"hnsw": dict(HNSW)},
                metadata={"embedder": embedder, "model": f"{version}; {LAYOUT}"},
            )
        try:
            return self.client.get_collection(name, embedding_function=None)
        except Exception as exc:  # NotFoundError's import path moves between versions
            if "NotFound" in type(exc).__name__ or "does not exist" in str(exc):
                return None
            raise

    def model_version(self, embedder: str) -> str | None:
        """The model version and layout the embedder's vectors were made with ("" if
        unrecorded), or None if the store has no collection for it."""
        col = self.collection(embedder)
        return None if col is None else str((col.metadata or {}).get("model", ""))

    def is_current(self, embedder: str, version: str) -> bool:
        return self.model_version(embedder) == f"{version}; {LAYOUT}"

    def drop(self, embedder: str) -> None:
        self._wrote = True
        self._counts.clear()
        for kind in ("chunks", "sents"):
            if self.collection(embedder, kind=kind) is not None:
                self.client.delete_collection(f"{kind}-{slug(embedder)}")

    # -- writing --------------------------------------------------------------------------
    def delete_articles(self, embedder: str, article_ids: list[str]) -> None:
        self._wrote = True
        self._counts.clear()
        for kind in ("chunks", "sents"):
            col = self.collection(embedder, kind=kind)
            if col is not None and article_ids:
                col.delete(where={"article_id": {"$in": list(article_ids)}})

    def add(self, embedder: str, version: str, articles: list[tuple[str, list[Chunk]]],
            vectors: np.ndarray, sentence_vectors: np.ndarray, searched: bool = True) -> None:
        """Write several articles in one call per collection: ``articles`` holds (sha256,
        chunks) pairs, ``vectors`` their chunks' embeddings in order and
        ``sentence_vectors`` those of every chunk's ``chunk_sentences`` in order: in a
        collection of their own where ``searched`` (written first: an article counts as
        complete when all its chunks are there), else inside their chunk (``sentvecs``)."""
        self._counts.clear()
        self._wrote = True
        rows = [(sha, len(chunks), c) for sha, chunks in articles for c in chunks]
        if not rows:
            return
        spans = [chunk_sentences(c) for _, _, c in rows]
        sents = [(c, s, e) for (_, _, c), sp in zip(rows, spans, strict=True) for s, e in sp]
        if len(rows) != len(vectors) or len(sents) != len(sentence_vectors):
            raise ValueError(f"{len(rows)} chunks and {len(sents)} sentences but "
                             f"{len(vectors)} and {len(sentence_vectors)} vectors")
        step = self.max_batch()  # Chroma refuses larger writes (5461 rows on SQLite)
        svecs, vecs = (np.asarray(v, dtype=np.float32) for v in (sentence_vectors, vectors))
        for n in range(0, len(sents) if searched else 0, step):
            self.collection(embedder, version, "sents").upsert(
                ids=[sentence_id(c.id, s) for c, s, _ in sents[n:n + step]],
                embeddings=svecs[n:n + step],
                metadatas=[{"chunk_id": c.id, "article_id": c.article_id, "start": s, "end": e,
                            "lang": c.lang or "", "date_num": date_num(c.date)}
                           for c, s, e in sents[n:n + step]])
        kept: list[dict] = [{} for _ in rows]
        if not searched:
            at = np.cumsum([0] + [len(sp) for sp in spans])
            kept = [pack(svecs[at[i]:at[i + 1]], (s for s, _ in sp))
                    for i, sp in enumerate(spans)]
        col = self.collection(embedder, version)
        for n in range(0, len(rows), step):
            col.upsert(ids=[c.id for _, _, c in rows[n:n + step]], embeddings=vecs[n:n + step],
                       documents=[c.text for _, _, c in rows[n:n + step]],
                       metadatas=[{"article_id": c.article_id, "start": c.start, "end": c.end,
                                   "lang": c.lang or "", "date": c.date or "",
                                   "date_num": date_num(c.date), "title": c.title,
                                   "source": c.source, "sha256": sha, "n_chunks": k, **kv}
                                  for (sha, k, c), kv in zip(rows[n:n + step],
                                                             kept[n:n + step], strict=True)])

    def max_batch(self) -> int:
        """The most rows one Chroma write may carry (the client's, and so the server's)."""
        if self._max_batch is None:
            try:
                self._max_batch = max(1, int(self.client.get_max_batch_size()))
            except Exception:  # noqa: BLE001 - an older server without the call
                self._max_batch = 5000
        return self._max_batch
