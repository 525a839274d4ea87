"""Readers never wait for writers: the real HTTP API keeps answering while a real `index`
process (another process, as a newsroom's cron job) adds an article to the store it reads, on
both store kinds; the new article is answerable right after the run, with no restart.

The server runs in this process over the session's models (its reader holds the store open
as `serve` does); the writer is `python -m assistant index` in a subprocess."""

from __future__ import annotations

import shutil
import subprocess
import sys

import httpx
import pytest

from tests.assistant.test_http_api import Running
from tests.conftest import BUNDLED, ROOT
from tests.index.test_remote_store import ChromaServer

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

QUESTIONS = ["Who is the Secretary-General of the Organization of Turkic States?",
             "Кто возглавлял делегацию Узбекистана?", "Wann fand das erste Treffen statt?"]
NEW = ("006-bridge.txt", " date 2025-12-09 Quorbelian bridge opened in Ganja\n\nThe new "
       "Quorbelian bridge over the Ganja river was opened on Tuesday by the city's mayor, "
       "Tarkan Veliyev, who said it had cost 40 million manats.\n")
NEW_QUESTION = "Who opened the Quorbelian bridge?"


@pytest.fixture(params=["folder", "server"])
def reader(request, bundled_assistant, embedders, tmp_path):
    """(Assistant serving the store, corpus folder, --store value) for each store kind."""
    from assistant.engine.config import load_config
    from assistant.engine.service import Assistant
    from index import open_store

    corpus = tmp_path / "articles"
    shutil.copytree(BUNDLED, corpus)
    chroma = None
    if request.param == "folder":
        spec = str(tmp_path / "store")
        shutil.copytree(bundled_assistant.store.path, spec)
    else:
        chroma = ChromaServer(tmp_path / "chroma-data")
        spec = chroma.url
    cfg = load_config(toml_path="/nonexistent", env={}, corpus=str(corpus), store=spec)
    app = Assistant(cfg, store=open_store(spec), embedders=embedders)
    if chroma is not None:
        app.index()  # the first run, then a reader like any other
    yield app, corpus, spec
    app.close()
    if chroma is not None:
        chroma.stop()


def test_questions_are_answered_while_index_adds_an_article(reader):
    app, corpus, spec = reader
    running = Running(app)
    try:
        with httpx.Client(base_url=running.url, timeout=60) as client:
            def ask(question: str) -> httpx.Response:
                return client.post("/api/ask", json={"question": question})

            assert ask(QUESTIONS[0]).json()["answerable"]
            (corpus / NEW[0]).write_text(NEW[1], encoding="utf-8")
            writer = subprocess.Popen(
                [sys.executable, "-m", "assistant", "index", "--json", "--corpus", str(corpus),
                 "--store", spec], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True)
            failed, asked, n = [], 0, 0
            while writer.poll() is None:
                r = ask(QUESTIONS[n % len(QUESTIONS)])
                n += 1
                asked += writer.poll() is None  # answered while the run still went on
                if r.status_code != 200 or (n % len(QUESTIONS) == 1 and
                                            not r.json()["answerable"]):
                    failed.append((r.status_code, r.text[:200]))
            out, err = writer.communicate()
            assert writer.returncode == 0, err
            assert '"added": 1' in out
            assert failed == [] and asked >= 3, (failed, asked)
            # right after the run, with no restart: the new article answers
            got = ask(NEW_QUESTION).json()
            assert got["answerable"] and "Veliyev" in got["answer"], got
            assert any(c["doc_id"].startswith("006") for c in got["citations"]), got
    finally:
        running.stop()
