"""Chunking, keyword channel and incremental indexing on a real Chroma store.

The pipeline tests use a small deterministic embedder so they run in a second; the real
models are exercised in tests/assistant/test_qa.py (marked slow).
"""

import fcntl
import hashlib
import os

import numpy as np
import pytest

from corpus import StoreError, load_corpus
from index import (
    KeywordIndex,
    Store,
    chunk_article,
    chunk_sentences,
    index_articles,
    tokens,
)
from tests.conftest import BUNDLED, write_corpus


class HashEmbedder:
    """Deterministic bag-of-4-grams vectors; counts how many texts it embedded."""

    name = "hash-test"

    def __init__(self, version: str = "1"):
        self.embedded = 0
        self.version = version

    def encode_documents(self, texts):
        self.embedded += len(texts)
        return np.stack([self._vec(t) for t in texts])

    encode_queries = encode_documents

    def _vec(self, text):
        v = np.zeros(64, np.float32)
        for tok in tokens(text):
            v[int(hashlib.md5(tok.encode()).hexdigest(), 16) % 64] += 1
        return v / max(np.linalg.norm(v), 1e-9)


def test_chunks_are_exact_sentence_aligned_slices():
    for a in load_corpus(BUNDLED):
        chunks = chunk_article(a)
        assert chunks and [c.id for c in chunks] == [f"{a.id}#{i}" for i in range(len(chunks))]
        for c in chunks:
            assert a.text[c.start:c.end] == c.text
            assert len(c.text) <= 700 or "\n" not in c.text  # only a single long sentence exceeds
        # chunks cover the article in order without overlap
        assert all(x.end <= y.start for x, y in zip(chunks, chunks[1:], strict=False))
        covered = "".join(a.text[c.start:c.end] for c in chunks)
        assert len(covered) >= 0.95 * len(a.text.replace("\n", ""))


def test_transliterated_ngrams_match_across_scripts():
    assert set(tokens("Омуралиев")) & set(tokens("Omuraliev"))
    assert set(tokens("Ишыкхан")) & set(tokens("Işıkhan"))
    idx = KeywordIndex([c for a in load_corpus(BUNDLED) for c in chunk_article(a)])
    scores = idx.scores("Omuraliev")
    best = idx.chunks[int(np.argmax(scores))]
    assert "Омуралиев" in best.text or "Omuraliev" in best.text
    assert not idx.scores("zzzzqqqq").any()


def _units(store, name):
    """Texts an index holds for one model: its chunks and their sentences."""
    chunks = store.chunks(name)
    return len(chunks) + sum(len(chunk_sentences(c)) for c in chunks)


def _index(corpus, store, emb):
    return index_articles(load_corpus(corpus), store, [emb])


def test_incremental_index_add_unchanged_update_delete(tmp_path):
    corpus = write_corpus(tmp_path / "c")
    store, emb = Store(tmp_path / "store"), HashEmbedder()
    r1 = _index(corpus, store, emb)
    assert (r1.articles, r1.added, r1.updated, r1.removed, r1.unchanged) == (3, 3, 0, 0, 0)
    first = store.chunks(emb.name)
    assert r1.chunks == len(first)
    assert emb.embedded == _units(store, emb.name) > r1.chunks
    assert store.collection(emb.name, kind="sents").count() == emb.embedded - r1.chunks

    r2 = _index(corpus, store, emb)  # unchanged corpus: nothing embedded, same chunks
    assert (r2.added, r2.updated, r2.unchanged) == (0, 0, 3)
    assert emb.embedded == _units(store, emb.name)
    assert store.chunks(emb.name) == first

    (corpus / "de/wetter.md").write_text("Das Wetter in Hamburg\n\nHeute scheint in Hamburg "
                                         "endlich wieder die Sonne, sagte der Wetterdienst "
                                         "am Morgen den Reportern.\n", encoding="utf-8")
    (corpus / "ru/babayev.txt").unlink()
    r3 = _index(corpus, store, emb)
    assert (r3.added, r3.updated, r3.removed, r3.unchanged) == (0, 1, 1, 1)
    chunks = store.chunks(emb.name)
    assert not any(c.article_id == "ru/babayev" for c in chunks)
    assert any("Sonne" in c.text for c in chunks) and not any("regnete" in c.text for c in chunks)
    ids = [c.id for c in chunks]
    assert len(ids) == len(set(ids))
    kw, _ = KeywordIndex.load(store.keyword_dir)
    assert [c.id for c in kw.chunks] == ids  # keyword index follows the store


def test_interrupted_article_is_completed_on_next_run(tmp_path):
    store, emb = Store(tmp_path / "store"), HashEmbedder()
    _index(BUNDLED, store, emb)
    full = store.chunks(emb.name)
    victim = next(c for c in full if c.id.endswith("#1"))
    store.collection(emb.name).delete(ids=[victim.id])  # as if killed mid-write
    r = _index(BUNDLED, store, emb)
    assert (r.updated, r.unchanged) == (1, 4)
    assert store.chunks(emb.name) == full


def test_a_new_model_version_reembeds_everything(tmp_path):
    corpus = write_corpus(tmp_path / "c")
    store, old, new = Store(tmp_path / "store"), HashEmbedder("1"), HashEmbedder("2")
    first = _index(corpus, store, old)
    assert store.is_current(old.name, "1")
    r = _index(corpus, store, new)
    assert (r.added, r.unchanged) == (3, 0)
    assert new.embedded == _units(store, new.name) and first.chunks == len(store.chunks(new.name))
    assert store.is_current(new.name, "2") and not store.is_current(new.name, "1")


def test_assistant_indexes_again_when_an_embedder_is_new_or_changed(tmp_path):
    from assistant.config import Config
    from assistant.service import Assistant

    corpus = write_corpus(tmp_path / "c")
    app = Assistant(Config(corpus=str(corpus), store=str(tmp_path / "store")))
    app.__dict__["embedders"] = [HashEmbedder("1")]  # a fast stand-in for the real models
    assert not app.is_indexed()
    app.ensure_indexed()
    assert app.is_indexed()
    kept, other = HashEmbedder("1"), HashEmbedder("1")
    other.name = "hash-other"
    app.__dict__["embedders"] = [kept, other]  # an embedder added to the config
    assert not app.is_indexed()
    report = app.ensure_indexed()
    assert report is not None and other.embedded == _units(app.store, other.name) > 0
    assert kept.embedded == 0  # only the new model embeds
    assert app.is_indexed()
    app.__dict__["embedders"] = [kept, HashEmbedder("2")]  # then its version changes
    assert not app.is_indexed()


def test_second_index_run_refuses_while_store_is_locked(tmp_path):
    corpus = write_corpus(tmp_path / "c")
    store = Store(tmp_path / "store")
    store.ensure_writable()
    fd = os.open(store.path / ".lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(StoreError, match="in use by another 'index' run"):
            _index(corpus, store, HashEmbedder())
    finally:
        os.close(fd)


def test_filters_in_store_query(tmp_path):
    corpus = write_corpus(tmp_path / "c")
    store, emb = Store(tmp_path / "store"), HashEmbedder()
    _index(corpus, store, emb)
    from index import where_clause

    q = emb.encode_queries(["Omuraliev Baku"])[0]
    assert {cid.split("#")[0] for cid, _ in store.query(emb.name, q, 10,
            where_clause(["ru"], None, None))} == {"ru/babayev"}
    dated = store.query(emb.name, q, 10, where_clause(None, "2024-01-01", "2025-12-31"))
    assert {cid.split("#")[0] for cid, _ in dated} == {"en/omuraliev"}
