"""BM25 over uint32 token codes, as numpy arrays that are saved as ``.npy`` and memory-mapped.

The scores are bm25s's "lucene" variant (k1 1.5, b 0.75; a query token counted as often as
it occurs), which the product used before this module, so rankings are unchanged. What
differs: postings are raw term counts, not precomputed scores, so documents can be dropped
and appended (an ``index`` run re-tokenises only new articles) and the weights follow the
current collection statistics; and nothing is a Python object per token, so a reader maps
the files instead of loading them (resident memory grows with the questions asked, not with
the archive).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

K1, B = 1.5, 0.75
_FIELDS = ("terms", "indptr", "docs", "tf", "length")


@dataclass(frozen=True)
class Postings:
    terms: np.ndarray  # uint32, sorted, unique
    indptr: np.ndarray  # int64, len(terms) + 1: term i's postings are [indptr[i], indptr[i+1])
    docs: np.ndarray  # int32 document positions, ascending within a term
    tf: np.ndarray  # uint16 count of the term in the document
    length: np.ndarray  # int32 tokens per document

    @property
    def n_docs(self) -> int:
        return len(self.length)

    @classmethod
    def from_counts(cls, keys: np.ndarray, counts: np.ndarray, length: np.ndarray
                    ) -> Postings:
        """From ``count_pairs`` results (of disjoint sets of documents, concatenated)."""
        order = np.argsort(keys)
        tf = counts[order]
        keys = keys[order]
        del order
        docs = (keys & np.uint64(0xFFFFFFFF)).astype(np.int32)
        keys >>= np.uint64(32)
        return cls._from_pairs(keys.astype(np.uint32), docs, tf, length)

    @classmethod
    def _from_pairs(cls, term: np.ndarray, docs: np.ndarray, tf: np.ndarray,
                    length: np.ndarray) -> Postings:
        """From (term, doc, tf) triples sorted by term then doc."""
        first = np.concatenate([[0], np.flatnonzero(term[1:] != term[:-1]) + 1]) if len(term) \
            else np.zeros(0, np.int64)
        indptr = np.append(first, len(term)).astype(np.int64)
        return cls(term[first].astype(np.uint32), indptr, docs, tf.astype(np.uint16), length)

    def _triples(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.repeat(self.terms, np.diff(self.indptr)), np.asarray(self.docs), \
            np.asarray(self.tf)

    def merged(self, keep: np.ndarray, added: Postings) -> Postings:
        """The documents where ``keep`` is true, renumbered in order, then ``added``'s."""
        if not keep.any():
            return added
        term, docs, tf = self._triples()
        renumber = np.cumsum(keep) - 1
        alive = keep[docs]
        n_kept = int(keep.sum())
        a_term, a_docs, a_tf = added._triples()
        term = np.concatenate([term[alive], a_term])
        docs = np.concatenate([renumber[docs[alive]], a_docs + n_kept]).astype(np.int32)
        tf = np.concatenate([tf[alive], a_tf])
        order = np.argsort((term.astype(np.uint64) << np.uint64(32)) | docs.astype(np.uint64))
        return self._from_pairs(term[order], docs[order], tf[order],
                                np.concatenate([np.asarray(self.length)[keep], added.length]))

    def scores(self, query: np.ndarray) -> np.ndarray:
        """The BM25 score of every document for the query's token codes."""
        n = self.n_docs
        if n == 0 or len(self.terms) == 0 or len(query) == 0:
            return np.zeros(n, np.float32)
        at = np.searchsorted(self.terms, query)
        ok = at < len(self.terms)
        ok[ok] = self.terms[at[ok]] == query[ok]
        hits = at[ok]
        if len(hits) == 0:
            return np.zeros(n, np.float32)
        start, end = self.indptr[hits], self.indptr[hits + 1]
        df = (end - start).astype(np.float32)
        idf = np.log1p((n - df + 0.5) / (df + 0.5))
        # every posting of every query token at once: ranges [start, end) laid end to end
        at = np.repeat(start - np.cumsum(end - start) + (end - start), end - start) + \
            np.arange(int((end - start).sum()))
        d, f = self.docs[at], self.tf[at].astype(np.float32)
        length = np.asarray(self.length, np.float32)
        norm = K1 * ((1 - B) + B * length / max(float(length.mean()), 1e-9))
        w = np.repeat(idf, end - start) * f / (norm[d] + f)
        return np.bincount(d, w, minlength=n).astype(np.float32)

    def save(self, folder: Path) -> None:
        for name in _FIELDS:
            np.save(folder / f"{name}.npy", np.ascontiguousarray(getattr(self, name)))

    @classmethod
    def load(cls, folder: Path) -> Postings:
        return cls(*(np.load(folder / f"{name}.npy", mmap_mode="r") for name in _FIELDS))

    @classmethod
    def empty(cls) -> Postings:
        return cls(np.zeros(0, np.uint32), np.zeros(1, np.int64), np.zeros(0, np.int32),
                   np.zeros(0, np.uint16), np.zeros(0, np.int32))


def count_pairs(codes: np.ndarray, doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct (token, document) as one uint64 key (token << 32 | document), with the
    number of times it occurs."""
    keys, counts = np.unique((codes.astype(np.uint64) << np.uint64(32)) | doc.astype(np.uint64),
                             return_counts=True)
    return keys, np.minimum(counts, 65535).astype(np.uint16)
