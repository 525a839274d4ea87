"""Killing ``index`` with SIGKILL at any moment, then running it again, gives exactly the index
an uninterrupted run gives; a second ``index`` on the same store refuses while one runs.

Real subprocesses of the real command with the real models (hence ``slow``), on a corpus of
20 one-paragraph articles made from the bundled ones (four paragraphs of each), written 4
chunks per step (ASSISTANT_INDEX_BATCH) so a run has many points to die at.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from corpus import load_corpus
from index import KeywordIndex, Store
from index.sentvecs import unpack
from tests.conftest import BUNDLED

pytestmark = pytest.mark.slow
EMBEDDERS = ("e5-small", "use")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """One article per paragraph of the bundled articles, four of each (dated, in three
    languages)."""
    folder = tmp_path_factory.mktemp("paragraphs")
    for a in load_corpus(BUNDLED):
        paras = [p for p in a.text.split("\n\n") if len(p) > 80][:4]
        for n, para in enumerate(paras):
            (folder / f"{a.id[:3]}-{n:02d}.txt").write_text(f" date {a.date} {para}\n",
                                                          encoding="utf-8")
    return folder


def _start(corpus: Path, store: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["ASSISTANT_INDEX_BATCH"] = "4"
    return subprocess.Popen([sys.executable, "-m", "assistant", "index", "--json",
                             "--corpus", str(corpus), "--store", str(store)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _run(corpus: Path, store: Path) -> dict:
    proc = _start(corpus, store)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return json.loads(out)


def _work(store: Path) -> Path:
    """The generation the run writes (``gens/w...``; the store's folder until it exists)."""
    return next(iter(sorted(store.glob("gens/w*"))), store)


def _marks(store: Path) -> int:
    """Embedded marks the run has written so far (0 while its manifest does not exist)."""
    try:
        db = sqlite3.connect(f"file:{_work(store) / 'manifest.sqlite'}?mode=ro", uri=True,
                             timeout=1)
        try:
            return db.execute("SELECT COUNT(*) FROM embedded").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def snapshot(path: Path) -> dict:
    """Everything the store holds, in a comparable form (vectors separately)."""
    store = Store(path)
    man = store.read_manifest()
    snap: dict = {"vectors": {}}
    for e in EMBEDDERS:
        for kind in ("chunks", "sents"):
            col = store.collection(e, kind=kind)
            if col is None:  # sentences are kept in their chunks' metadata (sentvecs)
                continue
            got = col.get(include=["documents", "metadatas", "embeddings"])
            order = np.argsort(got["ids"])
            kept = {}  # sentence vectors kept in a chunk: compared as vectors, not as text
            for cid, m in zip(got["ids"], got["metadatas"], strict=True):
                kept.update(unpack(cid, m))
                m.pop("sv", None)
            snap[f"{kind}-{e}"] = [(got["ids"][i], got["documents"][i],
                                    sorted(got["metadatas"][i].items())) for i in order]
            snap["vectors"][f"{kind}-{e}"] = np.asarray(got["embeddings"])[order]
            if kept:
                snap["vectors"][f"kept-{e}"] = np.stack([kept[k] for k in sorted(kept)])
    rows = man.db.execute("SELECT * FROM articles ORDER BY id").fetchall()
    snap["articles"] = [r[:9] + r[10:-1] for r in rows]  # all but path and indexed_at
    snap["embedded"] = sorted(man.db.execute("SELECT * FROM embedded").fetchall())
    snap["files"] = sorted(man.db.execute("SELECT * FROM files").fetchall())
    snap["links"] = [(a, b) for a, b, _ in man.links()]
    kw = KeywordIndex.load(store.keyword_dir)
    snap["keyword"] = sorted((c.__dict__ for c in kw.all_chunks()), key=lambda c: c["id"])
    kw.close()
    store.close()  # Chroma caches a store per process: a later snapshot must not see this one
    return snap


def assert_same(got: dict, want: dict) -> None:
    for key in want:
        if key != "vectors":
            assert got[key] == want[key], key
    for key, vecs in want["vectors"].items():
        # int8 activations are quantised per batch, and a resumed run batches other chunks
        # together: the same text gets a vector equal up to that rounding.
        cos = np.sum(got["vectors"][key] * vecs, axis=1)
        assert got["vectors"][key].shape == vecs.shape and cos.min() > 0.995, key


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory) -> dict:
    store = tmp_path_factory.mktemp("reference") / "store"
    report = _run(corpus, store)
    assert report["added"] == report["articles"] >= 20 and report["skipped"] == 0
    return snapshot(store)


@pytest.mark.parametrize("kill_after_marks", [0, 1, 11])
def test_sigkill_then_rerun_equals_an_uninterrupted_run(corpus, reference, tmp_path,
                                                        kill_after_marks):
    """Killed while loading (0 marks) or after 1 or 11 of 40 embedded marks; rerun."""
    store = tmp_path / "store"
    proc = _start(corpus, store)
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        if _marks(store) >= kill_after_marks and (kill_after_marks or
                                                  (_work(store) / "chroma").exists()):
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before the kill point"
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    report = _run(corpus, store)
    assert report["articles"] == len(reference["articles"])
    assert report["added"] + report["updated"] + report["unchanged"] == report["articles"]
    assert_same(snapshot(store), reference)
    again = _run(corpus, store)  # and nothing left to do afterwards
    assert again["unchanged"] == again["articles"] and again["added"] == again["updated"] == 0


def test_second_run_refuses_while_the_first_holds_the_store(corpus, reference, tmp_path):
    store = tmp_path / "store"
    first = _start(corpus, store)
    deadline = time.monotonic() + 300
    while _marks(store) < 1 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    second = _start(corpus, store)
    _, err = second.communicate(timeout=300)
    assert second.returncode == 4
    assert "is in use by another 'index' run" in err and "Traceback" not in err
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert_same(snapshot(store), reference)


def test_deleted_and_changed_articles_leave_no_trace(corpus, reference, tmp_path, embedders):
    import shutil

    from assistant.engine.config import Config
    from assistant.engine.service import Assistant

    folder = tmp_path / "articles"  # not "corpus": the subprocess would import it as a package
    shutil.copytree(corpus, folder)
    store = tmp_path / "store"
    _run(folder, store)
    victims = sorted(folder.glob("*.txt"))[:3]
    # like a running 'serve'
    reader = Assistant(Config(corpus=str(folder), store=str(store)), embedders=embedders)
    question = "Где прошла встреча с генеральным секретарем ОТГ?"
    assert reader.search(question, k=40)
    for v in victims:
        v.unlink()
    report = _run(folder, store)
    hits = reader.search(question, k=40)  # the other process's changes are seen
    assert hits and not {h.chunk.article_id for h in hits} & {v.stem for v in victims}
    reader.store.close()  # Chroma shares one cached store per path within a process
    assert report["removed"] == 3 and report["added"] == report["updated"] == 0
    snap = snapshot(store)
    gone = {v.stem for v in victims}
    for key in [k for k in snap if k.startswith("chunks-")]:  # sentences: in their chunks
        assert not any(row[0].split("#")[0] in gone for row in snap[key])
    assert not any(c["article_id"] in gone for c in snap["keyword"])
    assert not any(r[0] in gone for r in snap["articles"] + snap["embedded"])
    assert not any(a in gone or b in gone for a, b in snap["links"])
    for v in victims:  # putting them back restores exactly the reference index
        shutil.copy(corpus / v.name, v)
    assert _run(folder, store)["added"] == 3
    assert_same(snapshot(store), reference)
