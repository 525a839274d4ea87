"""A disk that fills up while indexing: one sentence and exit 4 (a store problem), the
articles indexed before still answer, and the next run resumes.

Two ways: a write fault injected into the store (fast, a hash embedder, in-process), and a real
small tmpfs under the real command with the real models (root only: it mounts one)."""

from __future__ import annotations

import errno
import shutil
import subprocess
import uuid

import pytest

from corpus import StoreError, disk_full
from index import Store
from tests.conftest import BUNDLED, TINY, run_cli, write_corpus
from tests.index.test_index import HashEmbedder


def test_disk_full_is_told_from_its_causes(tmp_path):
    assert disk_full(OSError(errno.ENOSPC, "No space left on device"))
    wrapped = RuntimeError("Error in compaction")
    wrapped.__cause__ = RuntimeError("InternalError: database or disk is full")
    assert disk_full(wrapped)
    assert not disk_full(RuntimeError("Error in compaction"), tmp_path)  # room to spare


def test_an_injected_full_disk_is_one_sentence_and_the_next_run_resumes(tmp_path, monkeypatch):
    from assistant.engine.config import load_config
    from assistant.engine.service import Assistant

    corpus = write_corpus(tmp_path / "corpus")
    emb = HashEmbedder()
    cfg = load_config(toml_path="/nonexistent", env={}, corpus=str(corpus),
                      store=str(tmp_path / "store"), embedders=[emb.name], index_batch=1)
    app = Assistant(cfg, embedders=[emb])
    real_add, calls = Store.add, []

    def add(self, *args, **kw):
        calls.append(1)
        if len(calls) == 2:  # the second write finds the disk full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_add(self, *args, **kw)

    monkeypatch.setattr(Store, "add", add)
    with pytest.raises(StoreError) as err:
        app.index()
    msg = str(err.value)
    assert msg.startswith("the disk is full: indexing stopped after 1 new or changed article;")
    assert "run 'index' again to resume" in msg and msg.count(".") == 1
    assert err.value.exit_code == 4
    monkeypatch.setattr(Store, "add", real_add)
    report = app.index()
    assert report.articles == len(TINY) and report.added + report.updated == len(TINY) - 1
    assert {c.article_id for c in app.store.chunks(emb.name)} == \
        {p.rsplit(".", 1)[0] for p in TINY}


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB tmpfs (grown with ``grow``), or a skip where mounting is not allowed."""
    folder = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    if shutil.which("mount") is None or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(folder)],
            capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.mark.slow
@pytest.mark.e2e
def test_a_real_full_disk_keeps_the_old_articles_and_resumes(small_disk, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(BUNDLED, corpus)
    store = small_disk / "store"
    res = run_cli("index", "--corpus", str(corpus), "--store", str(store))
    assert res.returncode == 0, res.stderr
    long = " ".join(f"Line {i}: the committee on cranes in Ganja met again on day {i}."
                    for i in range(400))
    (corpus / "report.txt").write_text(f" date 2025-12-07 Crane report\n\n{long}\n")
    res = run_cli("index", "--corpus", str(corpus), "--store", str(store))
    assert res.returncode == 4 and "Traceback" not in res.stderr
    assert res.stderr.strip().splitlines()[-1].startswith(
        "error: the disk is full: indexing stopped after 0 new or changed articles; the "
        "articles indexed before are still answerable; free space on ")
    res = run_cli("ask", "--no-server", "--json", "--corpus", str(corpus), "--store", str(store),
                  "Who is the Secretary-General of the Organization of Turkic States?")
    assert res.returncode == 0 and '"answerable": true' in res.stdout, res.stderr
    subprocess.run(["mount", "-o", "remount,size=96m", str(small_disk)], check=True)
    res = run_cli("index", "--json", "--corpus", str(corpus), "--store", str(store))
    assert res.returncode == 0, res.stderr
    assert '"articles": 6' in res.stdout and '"unchanged": 5' in res.stdout
