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
from index.keyword_index import update_keyword_index
from index.pipeline import PruneRefused
from tests.conftest import BUNDLED, TINY, write_corpus


class HashEmbedder:
    """Deterministic bag-of-4-grams vectors; counts how many texts it embedded."""

    name = "hash-test"
    sentence_search = True  # a sentence collection of its own (kept in chunks: test_sentvecs)

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


def _build(folder, chunks, asked=None):
    """A keyword index of ``chunks`` in ``folder`` (their article's hash: "h" + title)."""
    def fetch(ids):
        if asked is not None:
            asked.append(sorted(ids))
        return [("h" + c.title, c) for c in chunks if c.article_id in ids]

    wanted = {c.article_id: "h" + c.title for c in chunks}
    return update_keyword_index(folder, "test", wanted, fetch)


def test_transliterated_ngrams_match_across_scripts(tmp_path):
    assert set(tokens("Омуралиев")) & set(tokens("Omuraliev"))
    assert set(tokens("Ишыкхан")) & set(tokens("Işıkhan"))
    _build(tmp_path / "kw", [c for a in load_corpus(BUNDLED) for c in chunk_article(a)])
    idx = KeywordIndex.load(tmp_path / "kw")
    scores = idx.scores("Omuraliev")
    best = idx.chunk(str(idx.ids[int(np.argmax(scores))]))
    assert "Омуралиев" in best.text or "Omuraliev" in best.text
    assert not idx.scores("zzzzqqqq").any()


QUERIES = ("Omuraliev", "Ишыкхан", "Türk Devletleri Teşkilatı 2024", "Wetterdienst am Morgen",
           "a an the of", "zzzzqqqq", "")


def _scores_by_id(idx: KeywordIndex, query: str) -> dict[str, float]:
    return dict(zip(map(str, idx.ids), idx.scores(query).tolist(), strict=True))


def test_keyword_scores_are_bm25s_scores(tmp_path):
    """The numpy BM25 over token codes gives bm25s's scores (the index it replaced)."""
    import bm25s

    chunks = [c for a in load_corpus(BUNDLED) for c in chunk_article(a)]
    assert _build(tmp_path / "kw", chunks) == len(chunks)
    idx = KeywordIndex.load(tmp_path / "kw")
    ref = bm25s.BM25()
    ref.index([tokens(c.title + "\n" + c.text) for c in chunks], show_progress=False)
    for q in QUERIES:
        toks = [t for t in tokens(q) if t in ref.vocab_dict]
        want = ref.get_scores(toks) if toks else np.zeros(len(chunks))
        got = _scores_by_id(idx, q)
        np.testing.assert_allclose([got[c.id] for c in chunks], want, rtol=1e-4, atol=1e-5)


def test_keyword_index_updates_only_what_changed(tmp_path):
    """Dropping one article and adding another fetches only the new one and gives the
    index a fresh build gives; an unchanged store fetches nothing."""
    articles = list(load_corpus(BUNDLED))
    chunks = {a.id: chunk_article(a) for a in articles}
    first, second = articles[:-1], articles[1:]
    asked: list = []
    _build(tmp_path / "kw", [c for a in first for c in chunks[a.id]], asked)
    n = _build(tmp_path / "kw", [c for a in second for c in chunks[a.id]], asked)
    assert asked == [sorted(a.id for a in first), [articles[-1].id]]
    _build(tmp_path / "kw", [c for a in second for c in chunks[a.id]], asked)
    assert len(asked) == 2  # nothing to fetch
    _build(tmp_path / "fresh", [c for a in second for c in chunks[a.id]])
    updated, fresh = KeywordIndex.load(tmp_path / "kw"), KeywordIndex.load(tmp_path / "fresh")
    assert n == len(updated) == len(fresh) == sum(len(chunks[a.id]) for a in second)
    assert sorted(map(str, updated.ids)) == sorted(map(str, fresh.ids))
    for q in QUERIES:
        got, want = _scores_by_id(updated, q), _scores_by_id(fresh, q)
        assert got.keys() == want.keys()
        np.testing.assert_allclose([got[k] for k in want], list(want.values()), rtol=1e-5)
    de = updated.mask(langs=("de",))
    assert {updated.chunk(str(i)).lang for i in np.asarray(updated.ids)[de]} == {"de"}
    dated = updated.mask(since="2024-01-01", until="2024-12-31")
    assert all("2024-01-01" <= updated.chunk(str(i)).date <= "2024-12-31"
               for i in np.asarray(updated.ids)[dated])
    one = updated.mask(articles={second[0].id})
    assert {updated.chunk(str(i)).article_id for i in np.asarray(updated.ids)[one]} == \
        {second[0].id}


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
    kw = KeywordIndex.load(store.keyword_dir)
    assert sorted(c.id for c in kw.all_chunks()) == sorted(ids)  # it follows the store


@pytest.mark.parametrize("keep,refused", [(3, False), (2, False), (1, True), (0, True)])
def test_a_run_that_would_remove_most_of_the_index_is_refused(tmp_path, keep, refused):
    """Losing 1 of 3 articles is a normal update; 2 of 3 (more than half) or all of them
    looks like a wrong folder: nothing is removed until --prune confirms it."""
    corpus = write_corpus(tmp_path / "c")
    store, emb = Store(tmp_path / "store"), HashEmbedder()
    _index(corpus, store, emb)
    before = store.chunks(emb.name)
    for rel in sorted(TINY)[keep:]:
        (corpus / rel).unlink()
    (corpus / "new.txt").write_text("A new article about the harvest in Ganja, where farmers "
                                    "brought in more grain than last year.\n", encoding="utf-8")
    if not refused:
        assert _index(corpus, store, emb).removed == 3 - keep
        return
    with pytest.raises(PruneRefused) as err:
        _index(corpus, store, emb)
    share = "all of them" if keep == 0 else "more than half"
    assert f"remove {3 - keep} of the 3 indexed articles ({share})" in str(err.value)
    assert "--prune" in str(err.value)
    after = store.chunks(emb.name)
    assert {c.id for c in before} < {c.id for c in after}  # kept, and the new one added
    assert any("Ganja" in c.text for c in KeywordIndex.load(store.keyword_dir).all_chunks())
    r = index_articles(load_corpus(corpus), store, [emb], prune=True)
    assert r.removed == 3 - keep and {c.article_id for c in store.chunks(emb.name)} == \
        {"new", *[p.rsplit(".", 1)[0] for p in sorted(TINY)[:keep]]}


class FailingEmbedder(HashEmbedder):
    """Raises on its n-th call, as if the run died in the middle of a group."""

    def __init__(self, fail_on: int):
        super().__init__()
        self.calls, self.fail_on = 0, fail_on

    def encode_documents(self, texts):
        self.calls += 1
        if self.calls == self.fail_on:
            raise RuntimeError("killed")
        return super().encode_documents(texts)


def _state(store, name):
    """What an index holds, comparable across runs."""
    man = store.manifest
    col, sents = store.collection(name), store.collection(name, kind="sents")
    got = col.get(include=["documents", "metadatas"])
    sgot = sents.get(include=["metadatas"])
    def meta(ms):
        return [sorted(m.items()) for m in ms]

    return (sorted(zip(got["ids"], got["documents"], meta(got["metadatas"]), strict=True)),
            sorted(zip(sgot["ids"], meta(sgot["metadatas"]), strict=True)),
            sorted(man.embedded(name).items()), sorted(man.ids()),
            sorted(c.id for c in KeywordIndex.load(store.keyword_dir).all_chunks()))


@pytest.mark.parametrize("fail_on", [1, 2, 4])
def test_a_run_that_dies_mid_way_is_completed_by_the_next(tmp_path, fail_on):
    """Small groups (batch 3 chunks) so the run dies after some groups are written."""
    clean = Store(tmp_path / "clean")
    index_articles(load_corpus(BUNDLED), clean, [HashEmbedder()], batch_size=3)
    store = Store(tmp_path / "store")
    with pytest.raises(RuntimeError):
        index_articles(load_corpus(BUNDLED), store, [FailingEmbedder(fail_on)], batch_size=3)
    again = HashEmbedder()
    r = index_articles(load_corpus(BUNDLED), store, [again], batch_size=3)
    assert r.added + r.updated + r.unchanged == 5 and r.added + r.updated >= 1
    assert _state(store, again.name) == _state(clean, again.name)


def test_a_new_model_version_reembeds_everything(tmp_path):
    corpus = write_corpus(tmp_path / "c")
    store, old, new = Store(tmp_path / "store"), HashEmbedder("1"), HashEmbedder("2")
    first = _index(corpus, store, old)
    assert store.is_current(old.name, "1")
    r = _index(corpus, store, new)
    assert (r.added, r.updated, r.unchanged) == (0, 3, 0)  # known articles, re-embedded
    assert new.embedded == _units(store, new.name) and first.chunks == len(store.chunks(new.name))
    assert store.is_current(new.name, "2") and not store.is_current(new.name, "1")


def test_assistant_indexes_again_when_an_embedder_is_new_or_changed(tmp_path):
    from assistant.engine.config import Config
    from assistant.engine.service import Assistant

    corpus = write_corpus(tmp_path / "c")
    cfg = Config(corpus=str(corpus), store=str(tmp_path / "store"))
    app = Assistant(cfg, embedders=[HashEmbedder("1")])  # a fast stand-in for the real models
    assert not app.is_indexed()
    app.ensure_indexed()
    assert app.is_indexed()
    kept, other = HashEmbedder("1"), HashEmbedder("1")
    other.name = "hash-other"
    app = Assistant(cfg, embedders=[kept, other])  # an embedder added to the config
    assert not app.is_indexed()
    report = app.ensure_indexed()
    assert report is not None and other.embedded == _units(app.store, other.name) > 0
    assert kept.embedded == 0  # only the new model embeds
    assert app.is_indexed()
    app = Assistant(cfg, embedders=[kept, HashEmbedder("2")])  # then its version changes
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


def test_same_story_links_need_another_language_and_close_dates(tmp_path):
    """Identical texts (cosine 1 under the hash embedder) in records that declare their
    language and date: only the cross-language pair within three days is linked."""
    import json

    text = ("Labour ministers of the Organization of Turkic States met in Baku to discuss "
            "employment and social protection, and signed a declaration on cooperation.")
    rows = [("a", "en", "2025-12-06"), ("b", "ru", "2025-12-07"), ("c", "de", "2025-09-01"),
            ("d", "en", "2025-12-06"), ("e", "tr", None)]
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "feed.jsonl").write_text("\n".join(json.dumps(
        {"id": k, "text": text, "lang": lang, "date": date}) for k, lang, date in rows) + "\n")
    store, emb = Store(tmp_path / "store"), HashEmbedder()
    from index import index_corpus

    report = index_corpus(corpus, store, [emb])
    links = {(a.split("/")[1], b.split("/")[1]) for a, b, _ in store.manifest.links()}
    # a-b, d-b: other language, one day apart; e (undated) links to every other language;
    # c is three months away; a-d share a language
    assert links == {("a", "b"), ("b", "d"), ("a", "e"), ("b", "e"), ("c", "e"), ("d", "e")}
    assert report.links == len(links)
    (corpus / "feed.jsonl").write_text(json.dumps({"id": "a", "text": text, "lang": "en",
                                                   "date": "2025-12-06"}) + "\n")
    index_corpus(corpus, store, [emb], prune=True)  # the others are gone: so are their links
    assert store.manifest.links() == []


def test_a_chunk_in_another_language_than_its_article_gets_its_own(tmp_path):
    from corpus import parse_article

    en = ("The labour ministers of the Organization of Turkic States met in Baku on Friday "
          "to discuss employment, social protection and the mobility of workers between "
          "their countries, and they agreed to meet again next year in Tashkent.")
    ru = ("Министры труда Организации тюркских государств встретились в Баку в пятницу, "
          "чтобы обсудить занятость, социальную защиту и мобильность работников между "
          "странами, и договорились встретиться снова в следующем году в Ташкенте.")
    en2 = ("The Secretary-General of the organisation praised the progress of the member "
           "states in social reforms and said that a joint action plan for the next three "
           "years would be prepared by the ministries before the summer.")
    a = parse_article(f"{en}\n\n{en2}\n\n{ru}\n", "mixed", "mixed.txt", "/mixed.txt", "0")
    chunks = chunk_article(a, max_chars=300, min_chars=100)
    assert a.lang == "en" and [c.lang for c in chunks] == ["en", "en", "ru"]


def test_a_long_article_shows_progress_inside_it_and_a_huge_one_is_skipped(tmp_path):
    from index import index_corpus

    corpus = write_corpus(tmp_path / "c", {
        "long.txt": "A long report\n\n" + " ".join(
            f"The ministry reported figure {i} for the region of Baku today." for i in range(400)),
        "huge.txt": "A dump\n\n" + "Short sentence here. " * 3000,
        **TINY})
    steps = []
    report = index_corpus(corpus, Store(tmp_path / "s"), [HashEmbedder()], progress=steps.append,
                          batch_size=8, max_chars=50_000)
    assert report.articles == 4 and report.skipped == 1
    assert "62,999 characters long, over max_article_chars (50,000)" in \
        report.skipped_files[0].reason
    inside = [s.chunks for s in steps if s.chunks]
    assert len(inside) >= 3 and inside[-1][0] == inside[-1][1] > 8  # counted up to the end
    assert [c[0] for c in inside] == sorted(c[0] for c in inside)
    assert "chunks embedded, about" in next(s for s in steps if s.chunks and
                                            s.chunks[0] < s.chunks[1]).figures()


def test_whole_collections_are_read_in_pages(tmp_path):
    """One `get` of more than ~32,000 records fails in Chroma's SQLite (too many variables):
    chunks and story links read a collection a page at a time."""
    corpus = write_corpus(tmp_path / "c")
    store, emb = Store(tmp_path / "store"), HashEmbedder()
    _index(corpus, store, emb)
    col = store.collection(emb.name, kind="sents")
    pages = [ids for ids, _ in store.pages(col, ["metadatas"], size=2)]
    assert len(pages) > 1 and all(len(p) <= 2 for p in pages)
    assert sorted(i for p in pages for i in p) == sorted(col.get(include=[])["ids"])
