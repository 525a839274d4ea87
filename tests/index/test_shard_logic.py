"""The logic of ``--shard I/N`` without a server: parsing, a stable and even split, and what a
shard's run reads, counts and leaves alone (a folder store stands in for the server's mirror;
tests/index/test_shards.py runs the real thing against `chroma run`)."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest

from corpus import StoreError, UsageError, parse_article
from index import Store, index_articles
from index.shards import Shard, owner
from tests.index.test_index import HashEmbedder


def make_article(aid: str, text: str):
    sha = hashlib.sha256(text.encode()).hexdigest()
    return parse_article(text, aid, f"{aid}.txt", f"/{aid}.txt", sha)


@pytest.mark.parametrize("text", ["0/2", "3/2", "1/0", "half", "", "1/2/3", "-1/2", "1/257"])
def test_a_shard_that_is_not_i_of_n_is_refused_in_one_sentence(text):
    with pytest.raises(UsageError, match="is not I/N with 1 <= I <= N"):
        Shard.parse(text)


def test_every_article_has_one_shard_the_same_on_every_machine_and_the_split_is_even():
    ids = [f"feed/{i:06d}" for i in range(12000)]
    for n in (1, 2, 3, 4):
        shards = [Shard.parse(f" {i} / {n} ") for i in range(1, n + 1)]
        assert all(sum(s.owns(a) for s in shards) == 1 for a in ids[:500])
        counts = Counter(owner(a, n) for a in ids)
        # binomial spread at 12,000 ids: about 1 % of a share; 5 % would be a broken hash
        assert all(abs(c / len(ids) - 1 / n) < 0.05 / n for c in counts.values())
    # not Python's salted hash(): the digest every process and machine computes
    want = int.from_bytes(hashlib.sha256(b"feed/000042").digest()[:8], "big") % 3 + 1
    assert owner("feed/000042", 3) == want


class _ShardStore(Store):
    """A folder store that says it is written by one shard (what a RemoteStore does)."""

    def __init__(self, path, shard):
        super().__init__(path)
        self.shard = shard


def test_a_shard_run_embeds_counts_and_removes_only_its_own_articles(tmp_path):
    arts = [make_article(f"a{i}", f"Article {i} says something about topic {i}.")
            for i in range(12)]
    mine = [a for a in arts if owner(a.id, 2) == 1]
    assert 0 < len(mine) < len(arts)
    embs = [HashEmbedder()]
    store = _ShardStore(tmp_path / "s", Shard(1, 2))
    report = index_articles(arts, store, embs)
    assert (report.articles, report.added, report.shard, report.links) == \
        (len(mine), len(mine), "1/2", 0)
    assert report.to_dict()["shard"] == "1/2"
    man = store.read_manifest()
    assert man.ids() == {a.id for a in mine}
    assert {c.article_id for c in store.chunks(embs[0].name)} == {a.id for a in mine}
    # the other shard's articles are not this run's to remove; its own gone one is
    again = index_articles([a for a in arts if a.id != mine[0].id], store, embs, prune=True)
    assert (again.removed, again.unchanged) == (1, len(mine) - 1)


def test_a_shard_never_empties_a_store_of_another_model_version(tmp_path):
    arts = [make_article(f"a{i}", f"Article {i} says something about topic {i}.")
            for i in range(6)]
    index_articles(arts, Store(tmp_path / "s"), [HashEmbedder("1")])
    shard = _ShardStore(tmp_path / "s", Shard(1, 2))
    with pytest.raises(StoreError, match="run one 'index' without --shard first"):
        index_articles(arts, shard, [HashEmbedder("2")])
    whole = Store(tmp_path / "s")  # still whole, still the old version
    assert whole.is_current("hash-test", "1") and len(whole.read_manifest().ids()) == 6
