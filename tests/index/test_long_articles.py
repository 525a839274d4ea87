"""An article longer than one Chroma write: every write is cut to the client's maximum batch
size (a real Chroma store on disk; the server store's test is in test_remote_store.py)."""

from __future__ import annotations

import numpy as np

from corpus.model import Article
from index import Store, chunk_article, chunk_sentences


def long_article(sentences: int = 10_000) -> Article:
    text = " ".join(f"Report line {i} says that the committee met for the {i}th time in Baku."
                    for i in range(sentences))
    return Article(id="long/report", title="A long report", text=text, date="2025-12-05",
                   lang="en", source="long/report.txt", path="/dev/null", sha256="x" * 64)


def write_long_article(store, sentences: int = 10_000) -> tuple[int, int]:
    """Write a generated article through ``store.add`` with random unit vectors; returns
    (chunks, sentences) written."""
    chunks = chunk_article(long_article(sentences))
    n_sents = sum(len(chunk_sentences(c)) for c in chunks)
    rng = np.random.default_rng(0)

    def unit(n):
        v = rng.normal(size=(n, 8)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    with store.locked(exclusive=True):
        _ = store.manifest  # as an index run does first: a new store gets its layout
        store.add("fake", "v1", [("x" * 64, chunks)], unit(len(chunks)), unit(n_sents))
    return len(chunks), n_sents


def test_an_article_of_10000_sentences_is_written_in_batches(tmp_path):
    store = Store(tmp_path / "store")
    n_chunks, n_sents = write_long_article(store)
    assert n_sents >= 10_000 > store.max_batch()  # more than one write can carry
    assert store.collection("fake", kind="sents").count() == n_sents
    assert store.collection("fake").count() == n_chunks
    store.close()
