"""Sharded indexing (`index --shard I/N`) into one real `chroma run`: two shard processes at
once make the store one whole run makes (same chunk ids, vectors within tolerance, links and
answers), leases keep runs apart, and readers move to a round's generation only when its last
shard ends."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from corpus import StoreError
from index import RemoteStore, chunk_sentences, sentence_id
from index.shards import Shard, owner
from tests.conftest import BUNDLED, ROOT
from tests.index.test_remote_store import QUESTIONS, ChromaServer, _app

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    made = [ChromaServer(tmp_path_factory.mktemp(f"chroma-{n}")) for n in ("whole", "shards")]
    yield made
    for server in made:
        server.stop()


def _shard_processes(url: str, cache: Path, n: int = 2) -> list[dict]:
    """``python -m assistant index --shard I/N --json`` for every I at once."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    cache.mkdir()
    from index.embedders.e5build import default_cache

    (cache / "multilingual-e5-small").symlink_to(default_cache() / "multilingual-e5-small")
    env["ASSISTANT_CACHE"] = str(cache)
    procs = [subprocess.Popen([sys.executable, "-m", "assistant", "index", "--store", url,
                               "--corpus", str(BUNDLED), "--shard", f"{i}/{n}", "--json"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in range(1, n + 1)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * n, [err[-800:] for _, err in outs]
    return [json.loads(out.strip().splitlines()[-1]) for out, _ in outs]


def _vectors(store, embedder: str, ids: list[str]) -> np.ndarray:
    got = store._get(store.collection(embedder), ids=ids, include=["embeddings"])
    order = {i: k for k, i in enumerate(got["ids"])}
    return np.asarray(got["embeddings"])[[order[i] for i in ids]]


def test_two_shard_processes_make_the_store_one_whole_run_makes(servers, embedders, tmp_path):
    whole, sharded = servers
    one = _app(whole.url, tmp_path / "whole", embedders)
    assert one.index().added == 5
    reports = _shard_processes(sharded.url, tmp_path / "shard-machines")
    assert sorted(r["shard"] for r in reports) == ["1/2", "2/2"]
    # each shard indexed the articles it owns, and only those
    ids = [a["id"] for a in one.catalogue()]
    for r in reports:
        assert r["added"] == sum(owner(i, 2) == int(r["shard"][0]) for i in ids) > 0
    assert max(r["shards_done"] for r in reports) == 2  # the last one published the round

    two = _app(sharded.url, tmp_path / "reader", embedders)
    assert two.is_indexed()

    def rows(app):  # what was indexed, not when
        return [{k: v for k, v in a.items() if k != "indexed_at"} for a in app.catalogue()]

    assert rows(two) == rows(one)
    links = [m.links() for m in (one.store.read_manifest(), two.store.read_manifest())]
    assert [(a, b) for a, b, _ in links[1]] == [(a, b) for a, b, _ in links[0]] != []
    # scores of vectors from other batches (measured: 0.0003-0.0007 apart)
    assert np.allclose([s for *_, s in links[1]], [s for *_, s in links[0]], atol=0.005)
    for e in embedders:
        chunk_ids = sorted(c.id for c in one.store.chunks(e.name))
        assert sorted(c.id for c in two.store.chunks(e.name)) == chunk_ids
        a, b = _vectors(one.store, e.name, chunk_ids), _vectors(two.store, e.name, chunk_ids)
        # the same model in other batches: e5's int8 engine scales activations per batch
        # (measured in one process: cosine 0.998 between a chunk embedded with its shard's
        # chunks and with all of them; here 0.9977-0.9990; USE 1.0)
        assert np.min(np.sum(a * b, axis=1)) > 0.995
        sents = [sentence_id(c.id, s) for c in one.store.chunks(e.name)[:6]
                 for s, _ in chunk_sentences(c)]
        got = two.store.sentence_vectors(e.name, sents)
        want = one.store.sentence_vectors(e.name, sents)
        assert set(got) == set(want) and all(float(np.dot(got[k], want[k])) > 0.995
                                             for k in want)
    confident = 0
    for q in QUESTIONS:  # the same answers; a borderline span may move with that noise
        x, y = one.ask(q), two.ask(q)
        assert y.answerable == x.answerable
        assert y.citations[0].article_id == x.citations[0].article_id
        if x.confidence >= 0.5:
            confident += 1
            assert (y.short_answer, [c.chunk_id for c in y.citations]) == \
                (x.short_answer, [c.chunk_id for c in x.citations])
    assert confident >= 2


def test_leases_keep_runs_apart_and_a_round_publishes_with_its_last_shard(servers, embedders,
                                                                          tmp_path):
    url = servers[1].url
    # leases: shards of one round run beside each other, nothing else does
    held = RemoteStore(url, cache=tmp_path / "held", shard=Shard(1, 2))
    held._take_lease()
    try:
        RemoteStore(url, cache=tmp_path / "b", shard=Shard(2, 2))._take_lease()
        for other in (Shard(1, 2), Shard(1, 3), None):
            with pytest.raises(StoreError, match="in use by shard [12]/2"):
                RemoteStore(url, cache=tmp_path / "c", shard=other)._take_lease()
    finally:
        for s in (Shard(1, 2), Shard(2, 2)):
            RemoteStore(url, cache=tmp_path / "held", shard=s)._release_lease()

    reader = _app(url, tmp_path / "reader", embedders)
    gen = reader.store.generation()
    assert not _finds(reader)
    corpus = tmp_path / "corpus"
    shutil.copytree(BUNDLED, corpus)
    edited = next(p for p in sorted(corpus.rglob("*.txt")) if owner(p.stem, 2) == 2)
    edited.write_text(edited.read_text(encoding="utf-8") + "\n\nThe Quorbelian bridge over "
                      "the river was opened by the mayor on Monday.\n", encoding="utf-8")
    first = _app(url, tmp_path / "first", embedders, corpus).index(shard=Shard(2, 2))
    assert (first.updated, first.shards_done) == (1, 1)
    assert RemoteStore(url, cache=tmp_path / "new-reader").generation() == gen
    assert not _finds(reader)  # readers stay on the last round
    last = _app(url, tmp_path / "last", embedders, corpus).index(shard=Shard(1, 2))
    assert (last.updated, last.unchanged, last.shards_done) == (0, 1, 2)
    assert reader.store.generation() != gen
    assert _finds(reader)


def _finds(reader) -> bool:
    return "Quorbelian" in reader.search("Quorbelian bridge")[0].chunk.text
