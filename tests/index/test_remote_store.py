"""The store on a real Chroma server (`chroma run` from the project's venv, on a free port):
index from one "machine", ask from another with no local files, restart the server, ask
again; one writer at a time; nothing removed by an empty corpus."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corpus import StoreError
from index import RemoteStore, chunk_sentences
from index.model import sentence_id
from index.pipeline import PruneRefused
from tests.conftest import BUNDLED

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

CHROMA = Path(sys.executable).with_name("chroma")
QUESTIONS = ["Who is the Secretary-General of the Organization of Turkic States?",
             "Кто возглавлял делегацию Узбекистана?", "Wann fand das erste Treffen statt?",
             "Omuraliev", "Sahil Babayev"]


class ChromaServer:
    def __init__(self, path: Path):
        self.path = path
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen([str(CHROMA), "run", "--path", str(self.path), "--port",
                                      str(self.port)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                assert time.time() < deadline and self.proc.poll() is None, "chroma run failed"
                time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(20)


@pytest.fixture(scope="module")
def chroma(tmp_path_factory):
    server = ChromaServer(tmp_path_factory.mktemp("chroma-data"))
    yield server
    server.stop()


def _app(url: str, cache: Path, embedders, corpus: Path = BUNDLED):
    from assistant.engine.config import load_config
    from assistant.engine.service import Assistant

    cfg = load_config(toml_path="/nonexistent", env={}, corpus=str(corpus), store=url)
    return Assistant(cfg, store=RemoteStore(url, cache=cache), embedders=embedders)


def test_a_reader_elsewhere_answers_from_the_server_alone(chroma, embedders, tmp_path,
                                                          bundled_assistant):
    writer = _app(chroma.url, tmp_path / "writer-machine", embedders)
    report = writer.index()
    assert (report.articles, report.added) == (5, 5)
    shutil.rmtree(tmp_path / "writer-machine")  # nothing local survives
    reader = _app(chroma.url, tmp_path / "reader-machine", embedders)
    assert reader.is_indexed()
    for q in QUESTIONS:  # the same ranking as the folder store, keyword channel included
        assert [h.chunk.id for h in reader.search(q)] == \
            [h.chunk.id for h in bundled_assistant.search(q)]
    ans = reader.ask(QUESTIONS[0])
    assert ans.answerable and ans.text == bundled_assistant.ask(QUESTIONS[0]).text
    for c in ans.citations:  # the source viewer's text comes from the server too
        assert reader.article(c.article_id)["text"][c.start:c.end] == c.quote
    assert len(reader.catalogue()) == 5 and ans.citations[0].also_reported_in
    # sentence vectors have no graph on the server: they come inside their chunks
    for e in embedders:
        assert reader.store.collection(e.name, kind="sents") is None
        ids = [sentence_id(c.id, s) for c in reader.store.chunks(e.name)[:4] for s, _ in
               chunk_sentences(c)]
        assert set(reader.store.sentence_vectors(e.name, ids)) == set(ids)

    chroma.stop()  # the server restarts under a running reader
    chroma.start()
    again = reader.ask(QUESTIONS[1])
    assert again.answerable and again.citations

    # an unchanged corpus re-indexed from a third machine re-embeds nothing
    third = _app(chroma.url, tmp_path / "third-machine", embedders)
    assert third.index().unchanged == 5

    # one article changed there: the running reader's keyword index fetches only its chunks
    changed = tmp_path / "corpus"
    shutil.copytree(BUNDLED, changed)
    edited = sorted(changed.rglob("*.txt"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\n\nThe Quorbelian bridge over "
                      "the river was opened by the mayor on Monday.\n", encoding="utf-8")
    # (this also shows a run's manifest reaches the server: the writer used to re-read the
    # server's older copy over its own before publishing it)
    assert _app(chroma.url, tmp_path / "third-machine", embedders, changed).index().updated == 1
    fetched, real = [], reader.store.chunks_of
    reader.store.chunks_of = lambda e, ids: (fetched.append(list(ids)), real(e, ids))[1]
    hits = reader.search("Quorbelian bridge")
    assert "Quorbelian" in hits[0].chunk.text
    assert [len(ids) for ids in fetched] == [1]
    edited_id = next(a["id"] for a in reader.catalogue() if a["source"].endswith(edited.name))
    assert "Quorbelian" in reader.article(edited_id)["text"]  # the source viewer's text too


def test_one_writer_at_a_time_and_no_accidental_emptying(chroma, embedders, tmp_path):
    first = _app(chroma.url, tmp_path / "m1", embedders)
    first.index()
    second = _app(chroma.url, tmp_path / "m2", embedders)
    with first.store.locked(exclusive=True):
        with pytest.raises(StoreError, match="in use by another 'index' run"):
            second.index()
    empty = tmp_path / "empty-corpus"
    empty.mkdir()
    with pytest.raises(PruneRefused):
        _app(chroma.url, tmp_path / "m3", embedders, corpus=empty).index()
    assert _app(chroma.url, tmp_path / "m4", embedders).is_indexed()
    assert len(_app(chroma.url, tmp_path / "m5", embedders).catalogue()) == 5


def test_a_reader_never_indexes_a_server_store(embedders, tmp_path):
    server = ChromaServer(tmp_path / "empty-server")
    try:
        reader = _app(server.url, tmp_path / "r", embedders)
        with pytest.raises(StoreError, match="holds no index"):
            reader.ensure_indexed()
    finally:
        server.stop()


class TokenProxy:
    """A bearer-token gate in front of the server, as Chroma 1.x deployments put one (Envoy,
    nginx): the requests pass through only with the right token."""

    def __init__(self, target: str, token: str):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        import httpx

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _pass(self):
                if self.headers.get("authorization") != f"Bearer {token}":
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                r = httpx.request(self.command, target + self.path, content=body,
                                  headers={"content-type": self.headers.get("content-type",
                                                                            "application/json")})
                self.send_response(r.status_code)
                self.send_header("Content-Type", r.headers.get("content-type", "application/json"))
                self.send_header("Content-Length", str(len(r.content)))
                self.end_headers()
                self.wfile.write(r.content)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def test_a_wrong_token_or_no_server_is_one_sentence(chroma, embedders, tmp_path):
    _app(chroma.url, tmp_path / "w", embedders).index()
    proxy = TokenProxy(chroma.url, "s3cret")
    try:
        with pytest.raises(StoreError, match="refused the token: set ASSISTANT_STORE_TOKEN"):
            RemoteStore(proxy.url, token="wrong", cache=tmp_path / "a").exists()
        good = RemoteStore(proxy.url, token="s3cret", cache=tmp_path / "b")
        assert good.exists() and len(good.read_manifest().ids()) == 5
    finally:
        proxy.close()
    t0 = time.time()
    with pytest.raises(StoreError, match=r"http://127.0.0.1:9 does not answer"):
        RemoteStore("http://127.0.0.1:9", cache=tmp_path / "c").exists()
    assert time.time() - t0 < 5  # at start: said at once, not after the retries


def test_an_article_longer_than_one_write_goes_to_the_server_in_batches(chroma, tmp_path):
    from tests.index.test_long_articles import write_long_article

    store = RemoteStore(chroma.url, cache=tmp_path / "cache")
    n_chunks, n_sents = write_long_article(store)
    assert n_sents > store.max_batch()  # the server's limit, asked of it
    assert store.collection("fake", kind="sents").count() == n_sents
    assert store.collection("fake").count() == n_chunks
    store.close()
