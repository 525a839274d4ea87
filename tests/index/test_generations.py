"""Generations of a folder store (``index/generations.py``): a reader keeps the generation
it opened while a run writes, moves to the published one when it reopens, and the last reader
of an old one removes it; a failed run is resumed; an old layout is adopted. Real Chroma on
disk, a hashing embedder (fast)."""

from __future__ import annotations

import shutil

import pytest

from corpus import StoreError
from index import Store
from tests.conftest import write_corpus
from tests.index.test_index import HashEmbedder, _index

EXTRA = {"en/bridge.txt": " date 2025-12-09 Quorbelian bridge opened\n\nThe Quorbelian bridge "
                          "over the Ganja river was opened by mayor Tarkan Veliyev.\n"}


def _articles(store: Store, emb: HashEmbedder) -> set[str]:
    return {c.article_id for c in store.chunks(emb.name)}


def test_a_reader_answers_from_its_generation_until_it_reopens(tmp_path):
    corpus, emb = write_corpus(tmp_path / "c"), HashEmbedder()
    _index(corpus, Store(tmp_path / "store"), emb)
    reader = Store(tmp_path / "store")
    before, stamp = _articles(reader, emb), reader.generation()
    first = reader.data_dir
    write_corpus(corpus, EXTRA)
    writer = Store(tmp_path / "store")
    with writer.locked(exclusive=True):
        _index(corpus, writer, emb)
        assert writer.data_dir != first and _articles(reader, emb) == before  # not yet seen
    assert reader.generation() != stamp  # published: the next question moves on
    assert _articles(reader, emb) == before  # until then this reader keeps its generation
    assert first.is_dir()  # a run does not remove a generation a reader holds
    reader.close()
    assert not first.exists()  # its last reader removed it
    assert _articles(reader, emb) == before | {"en/bridge"}
    assert reader.data_dir.name == (tmp_path / "store" / "CURRENT").read_text().split()[0]


def test_a_failed_run_is_resumed_and_an_untouched_copy_dropped(tmp_path):
    corpus, emb = write_corpus(tmp_path / "c"), HashEmbedder()
    store = Store(tmp_path / "store")
    _index(corpus, store, emb)
    published = store.gens.published()
    with store.locked(exclusive=True):  # nothing written: the copy goes
        pass
    assert store.gens.published() == published and not list(store.gens.gens.glob("w*"))
    write_corpus(corpus, EXTRA)
    with pytest.raises(RuntimeError), store.locked(exclusive=True):
        _index(corpus, store, emb)  # completes, but the block then fails: not published
        work = store.data_dir
        raise RuntimeError("killed")
    assert store.gens.published() == published and work.is_dir()
    assert "en/bridge" not in _articles(store, emb)
    with store.locked(exclusive=True):
        assert store.data_dir == work  # the next run resumes the same copy
        report = _index(corpus, store, emb)
    assert report.added == 0 and "en/bridge" in _articles(store, emb)


def test_a_store_made_before_generations_is_read_then_adopted(tmp_path):
    corpus, emb = write_corpus(tmp_path / "c"), HashEmbedder()
    store = tmp_path / "store"
    _index(corpus, Store(store), emb)
    gen = Store(store).data_dir  # move it back to the old layout
    for item in gen.iterdir():
        if item.name not in (".readers",):
            shutil.move(str(item), store / item.name)
    shutil.rmtree(store / "gens")
    (store / "CURRENT").unlink()
    old = Store(store)
    assert old.data_dir == store and len(_articles(old, emb)) == 3
    old.close()
    write_corpus(corpus, EXTRA)
    _index(corpus, Store(store), emb)
    assert not (store / "chroma").exists()
    assert len(_articles(Store(store), emb)) == 4


def test_a_damaged_generation_is_not_copied(tmp_path):
    corpus, emb = write_corpus(tmp_path / "c"), HashEmbedder()
    _index(corpus, Store(tmp_path / "store"), emb)
    db = Store(tmp_path / "store").data_dir / "manifest.sqlite"
    db.write_bytes(b"\x07" * 8192)
    with pytest.raises(StoreError, match="is damaged.*--rebuild"):
        with Store(tmp_path / "store").locked(exclusive=True):
            pass
    with Store(tmp_path / "store").locked(exclusive=True, empty=True):  # what --rebuild does
        pass


def test_a_full_disk_while_copying_is_a_full_disk_not_a_damaged_store(tmp_path, monkeypatch):
    import sqlite3

    import index.generations as generations
    from corpus import disk_full

    corpus, emb = write_corpus(tmp_path / "c"), HashEmbedder()
    store = Store(tmp_path / "store")
    _index(corpus, store, emb)

    def full(*args):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(generations, "copy_tree", full)
    with pytest.raises(sqlite3.OperationalError) as err, store.locked(exclusive=True):
        pass
    assert disk_full(err.value)  # what the index command turns into its one sentence
    assert not list(store.gens.gens.glob("w*"))  # the half-made copy gives its space back
