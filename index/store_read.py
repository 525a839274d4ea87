"""What every store reads: chunks, sentence vectors and nearest neighbours (``Store``'s
reading half; ``RemoteStore`` retries ``_get`` and ``_query``)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .model import Chunk, record_chunk
from .sentvecs import unpack, vectors


class Reading:
    """Reads of the embedders' collections (``collection`` and ``_counts`` are ``Store``'s)."""

    _counts: dict

    def collection(self, embedder: str, version: str | None = None, kind: str = "chunks"):
        raise NotImplementedError

    def chunks(self, embedder: str) -> list[Chunk]:
        """Every chunk in the embedder's collection, ordered by article and position."""
        col = self.collection(embedder)
        if col is None:
            return []
        out = [record_chunk(cid, doc, m)
               for ids, docs, metas in self.pages(col, ["documents", "metadatas"])
               for cid, doc, m in zip(ids, docs, metas, strict=True)]
        return sorted(out, key=lambda c: (c.article_id, int(c.id.rsplit("#", 1)[1])))

    def chunks_of(self, embedder: str, article_ids: list[str]) -> Iterator[tuple[str, Chunk]]:
        """(content hash, chunk) of the articles' chunks in the embedder's collection: by
        article for a few, the whole collection read page by page for many."""
        col = self.collection(embedder)
        if col is None or not article_ids:
            return iter(())
        include = ["documents", "metadatas"]
        if len(article_ids) > 2000:
            wanted = set(article_ids)
            pages = self.pages(col, include)
        else:
            wanted = None
            pages = ((g["ids"], g["documents"], g["metadatas"]) for g in (
                self._get(col, where={"article_id": {"$in": article_ids[n:n + 500]}},
                          include=include) for n in range(0, len(article_ids), 500)))
        return ((m["sha256"], record_chunk(cid, doc, m))
                for ids, docs, metas in pages for cid, doc, m in zip(ids, docs, metas,
                                                                     strict=True)
                if wanted is None or m["article_id"] in wanted)

    def pages(self, col, include: list[str], size: int = 5000) -> Iterator[tuple]:
        """A whole collection, ``size`` records at a time: one ``get`` of more than about
        32,000 records fails (SQLite's limit on variables in one statement)."""
        offset = 0
        while True:
            got = self._get(col, include=include, limit=size, offset=offset)
            if not got["ids"]:
                return
            yield got["ids"], *(got[k] for k in include)
            offset += len(got["ids"])

    def _get(self, col, **kw) -> dict:
        return col.get(**kw)

    def sentence_vectors(self, embedder: str, ids: list[str]) -> dict[str, np.ndarray]:
        """The embedder's vectors of the sentences ``ids`` ("<chunk id>@<start>") it holds:
        from its sentence collection, else from their chunks (``sentvecs``)."""
        if not ids:
            return {}
        col = self._open(embedder, "sents")
        if col is not None:
            got = self._get(col, ids=list(ids), include=["embeddings"])
            return {i: np.asarray(v, np.float32) for i, v in zip(got["ids"], got["embeddings"],
                                                                 strict=True)}
        kept = {sid: v for cid, m in self._kept(embedder, {i.rsplit("@", 1)[0] for i in ids})
                for sid, v in unpack(cid, m).items()}
        return {i: kept[i] for i in ids if i in kept}

    def kept_sentences(self, embedder: str, chunk_ids: list[str]
                       ) -> dict[str, tuple[list[int], np.ndarray]]:
        """{chunk id: (sentence starts, vectors)} kept in the chunks ``chunk_ids``."""
        return {cid: got for cid, m in self._kept(embedder, chunk_ids)
                if (got := vectors(m)) is not None}

    def _kept(self, embedder: str, chunk_ids) -> list[tuple[str, dict]]:
        """(chunk id, metadata) of the chunks ``chunk_ids`` the embedder's collection holds."""
        col = self._open(embedder, "chunks")
        if col is None or not chunk_ids:
            return []
        got = self._get(col, ids=sorted(chunk_ids), include=["metadatas"])
        return [(cid, m or {}) for cid, m in zip(got["ids"], got["metadatas"], strict=True)]

    def query(
        self, embedder: str, vector: np.ndarray, k: int, where: dict | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the k nearest chunks that pass ``where``."""
        return self._query(embedder, "chunks", vector, k, where)

    def query_sentences(
        self, embedder: str, vector: np.ndarray, k: int, where: dict | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the k nearest sentences that pass ``where``
        (a chunk appears once per sentence found)."""
        # a sentence's id is "<chunk id>@<start>": no metadata needs fetching
        return [(sid.rsplit("@", 1)[0], sim)
                for sid, sim in self._query(embedder, "sents", vector, k, where)]

    def _open(self, embedder: str, kind: str) -> object | None:
        """The embedder's collection of ``kind`` (None if missing), looked up once per
        opening: every write clears what was looked up."""
        key = (embedder, kind)
        if key not in self._counts:
            self._counts[key] = (self.collection(embedder, kind=kind), None)
        return self._counts[key][0]

    def _query(self, embedder: str, kind: str, vector: np.ndarray, k: int,
               where: dict | None) -> list[tuple[str, float]]:
        key = (embedder, kind)
        col = self._open(embedder, kind)
        if self._counts[key][1] is None:  # count() costs more than a query: once per opening
            self._counts[key] = (col, 0 if col is None else col.count())
        n = self._counts[key][1]
        if n == 0:
            return []
        res = col.query(query_embeddings=[vector.astype(np.float32)], n_results=min(k, n),
                        where=where, include=["distances"])
        return [(cid, 1.0 - float(d)) for cid, d in
                zip(res["ids"][0], res["distances"][0], strict=True)]
