"""The real entry point end to end: index, ask --json, offline, and the running Gradio app."""

import json
import re
import shutil
import subprocess
import sys
from dataclasses import replace

import pytest

from tests.conftest import BUNDLED, ROOT, run_cli

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("cli-store")
    res = run_cli("index", "--corpus", str(BUNDLED), "--store", str(store), "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert set(report) == {"articles", "added", "updated", "removed", "unchanged", "skipped",
                           "chunks", "seconds"}
    assert report["articles"] == report["added"] == 5 and report["chunks"] > 20
    assert "5/5 files" in res.stderr and "articles/s" in res.stderr  # progress was shown
    return store


def test_ask_json_contract(cli_store):
    res = run_cli("ask", "--json", "--store", str(cli_store),
                  "Who is the Secretary-General of the Organization of Turkic States?")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert set(out) == {"id", "question", "answer", "answerable", "citations", "mode",
                        "timings_ms", "confidence", "short_answer", "short_answer_span",
                        "removed", "notice"}
    assert 0.0 < out["confidence"] <= 1.0
    # the short answer leads, and is a span of the quote it cites, at the offsets it gives
    assert out["short_answer"] in out["citations"][0]["quote"]
    span, cite = out["short_answer_span"], out["citations"][0]
    assert span["n"] == 1 and span["doc_id"] == cite["doc_id"]
    assert cite["start"] <= span["start"] < span["end"] <= cite["end"]
    assert cite["quote"][span["start"] - cite["start"]:span["end"] - cite["start"]] \
        == out["short_answer"]
    assert out["answer"].startswith(f"{out['short_answer']} [1].")
    assert out["answerable"] is True and out["mode"] == "extractive"
    assert set(out["timings_ms"]) == {"retrieve", "answer"}
    cite = out["citations"][0]
    assert {"n", "doc_id", "title", "date", "lang", "source", "quote", "chunk_id",
            "score"} <= set(cite)
    assert any("Omuraliev" in c["quote"] or "Омуралиев" in c["quote"]
               for c in out["citations"])


def test_batch_and_search_json(cli_store, tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"id": "a", "question": "What is the population of Uzbekistan?"}\n'
                     '{"id": "b", "question": "Wer leitete die usbekische Delegation?"}\n')
    res = run_cli("ask", "--batch", str(batch), "--json", "--store", str(cli_store))
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"]
    assert rows[0]["answerable"] is False and rows[1]["answerable"] is True
    res = run_cli("search", "--json", "--k", "3", "--store", str(cli_store), "Omuraliev")
    out = json.loads(res.stdout)
    assert len(out["hits"]) == 3 and [h["rank"] for h in out["hits"]] == [1, 2, 3]
    assert {"rank", "doc_id", "chunk_id", "score", "lang", "date", "title", "text"} \
        == set(out["hits"][0])


def test_second_index_run_embeds_nothing(cli_store):
    res = run_cli("index", "--json", "--corpus", str(BUNDLED), "--store", str(cli_store))
    report = json.loads(res.stdout)
    assert (report["added"], report["updated"], report["unchanged"]) == (0, 0, 5)
    assert "embedding" not in res.stderr


def test_index_over_an_empty_folder_keeps_the_store(cli_store, tmp_path):
    """A wrong --corpus or an unmounted share must not empty the store (it used to report
    {"removed": 5} with exit 0); --prune is the one way to confirm."""
    empty = tmp_path / "unmounted"
    empty.mkdir()
    res = run_cli("index", "--json", "--corpus", str(empty), "--store", str(cli_store))
    assert res.returncode == 3 and res.stdout == "", res.stderr
    assert res.stderr.strip() == (
        f"error: this run would remove 5 of the 5 indexed articles (all of them) because their "
        f"files are not in {empty}: check --corpus, or pass --prune to remove them.")
    res = run_cli("ask", "--json", "--store", str(cli_store),
                  "Who is the Secretary-General of the Organization of Turkic States?")
    assert json.loads(res.stdout)["answerable"] is True  # still answers from all 5
    copy = shutil.copytree(cli_store, tmp_path / "copy")
    res = run_cli("index", "--json", "--prune", "--corpus", str(empty), "--store", str(copy))
    assert res.returncode == 0, res.stderr
    assert (json.loads(res.stdout)["removed"], json.loads(res.stdout)["chunks"]) == (5, 0)


def _unshare_works() -> bool:
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _unshare_works(), reason="unshare -n needs root or user namespaces")
def test_index_and_ask_with_no_network(tmp_path):
    """With the network namespace cut off, nothing can be downloaded: it all must be local."""
    store = tmp_path / "offline-store"
    res = run_cli("index", "--json", "--corpus", str(BUNDLED), "--store", str(store),
                  prefix=("unshare", "-n"))
    assert res.returncode == 0, res.stderr
    res = run_cli("ask", "--json", "--store", str(store), "Кто возглавлял делегацию Узбекистана?",
                  prefix=("unshare", "-n"))
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["answerable"] and "Abruyev" in out["answer"]
    # and the network really was gone in that namespace
    probe = subprocess.run(["unshare", "-n", sys.executable, "-c",
                            "import socket; socket.create_connection(('127.0.0.1', 9), 1)"],
                           capture_output=True, text=True)
    assert probe.returncode != 0


def test_serve_answers_through_the_running_app(tmp_path):
    """`serve` on an empty store indexes first, then answers through the Gradio API, to the
    login given with --auth only."""
    from gradio_client import Client

    from benchmarks.page_speed import running_server

    log = tmp_path / "serve.log"
    with running_server(BUNDLED, tmp_path / "serve-store", log, "--auth", "tester:pa:ss",
                        timeout=240) as url:
        text = log.read_text()
        assert "indexing" in text and "articles/s" in text
        assert f"serving on {url.rstrip('/')} (login required)" in text
        with pytest.raises(Exception):  # noqa: B017 - gradio_client's error type varies
            Client(url, verbose=False).predict("Who?", api_name="/ask")
        with pytest.raises(Exception):  # noqa: B017
            Client(url, verbose=False, auth=("tester", "wrong")).predict("Who?", api_name="/ask")
        # `ask` on this machine goes to the running server (no model load) for its store,
        # on whatever port it serves: `serve` wrote its address and pid into the store
        announced = json.loads((tmp_path / "serve-store" / "serve.json").read_text())
        assert announced["url"] == url.rstrip("/") and "/" not in announced["store"]
        env = {"ASSISTANT_AUTH": "tester:pa:ss"}  # the configured port (7860) is not it
        q = "Кто возглавлял делегацию Узбекистана?"
        res = run_cli("ask", "--json", "--store", str(tmp_path / "serve-store"), q, env=env)
        assert res.returncode == 0, res.stderr
        assert f"answered by the server running at {url.rstrip('/')}" in res.stderr
        assert json.loads(res.stdout)["answerable"]
        res = run_cli("search", "--store", str(tmp_path / "serve-store"), "--no-server", q,
                      env=env)
        assert res.returncode == 0 and "answered by the server" not in res.stderr
        client = Client(url, verbose=False, auth=("tester", "pa:ss"))
        out = client.predict("Who is the Secretary-General of the Organization of Turkic States?",
                             api_name="/ask")
        assert out["answerable"] and any("Omuraliev" in c["quote"] or "Омуралиев" in c["quote"]
                                         for c in out["citations"])
    assert not (tmp_path / "serve-store" / "serve.json").exists()  # removed on exit


def test_an_address_whose_process_is_gone_is_ignored(tmp_path):
    """A `serve` killed without cleaning up leaves its address: `ask` ignores it (the pid is
    gone) and tries the configured port."""
    from assistant.app.via_server import address_file, announced, announced_url
    from assistant.engine.config import load_config

    cfg = load_config(toml_path="/nonexistent", env={}, store=str(tmp_path))
    with announced(cfg, str(tmp_path), "0.0.0.0", 7871):
        assert announced_url(cfg, str(tmp_path)) == "http://127.0.0.1:7871"
    assert not address_file(cfg, str(tmp_path)).exists()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    address_file(cfg, str(tmp_path)).write_text(json.dumps(
        {"url": "http://127.0.0.1:7872", "pid": int(gone), "store": "sha256:0"}))
    assert announced_url(cfg, str(tmp_path)) is None
    remote = "http://chroma.example:8000"  # a server store: the address lives in the cache
    with announced(replace(cfg, cache=str(tmp_path / "cache")), remote, "127.0.0.1", 7873):
        assert announced_url(replace(cfg, cache=str(tmp_path / "cache")), remote) == \
            "http://127.0.0.1:7873"


def test_eval_report_json_and_gate(cli_store, tmp_path):
    """The eval command writes JSON and HTML, passes a gate it cannot fall below and fails
    (exit 5) against one no result meets. (The shipped seed set against the committed
    baseline is the gate ``make test`` runs and tests/assistant/test_eval_app.py checks.)"""
    from eval.runner import HEADLINE

    few = tmp_path / "few.jsonl"  # two questions of each language: the command, not the set
    lines = (ROOT / "eval" / "testsets" / "seed_qa.jsonl").read_text(encoding="utf-8")
    by_lang: dict[str, list[str]] = {}
    for line in lines.splitlines(keepends=True):
        if line.strip():
            by_lang.setdefault(json.loads(line)["lang"], []).append(line)
    few.write_text("".join(x for ls in by_lang.values() for x in ls[:2]), encoding="utf-8")
    floor = tmp_path / "floor.json"  # the worst value of every headline metric
    floor.write_text(json.dumps({"summary": {k: 0.0 if up else 1.0
                                             for k, up in HEADLINE.items()}}))
    out = tmp_path / "results.json"
    res = run_cli("eval", "--store", str(cli_store), "--testset", str(few), "--json", str(out),
                  "--report", str(tmp_path / "report"), "--baseline", str(floor))
    assert res.returncode == 0, res.stderr
    assert "evaluating" in res.stderr and "refusal_accuracy" in res.stdout
    # the failures with their reasons, then the two verdicts: quality against the targets,
    # and the regression gate, the last lines
    verdict = re.search(r"^(\d+)/(\d+) passed \(\d+ %\); quality against the targets: \d of \d "
                        r"met \(must_mention .*\)\nregression gate: no regression against "
                        r".*floor.json \(tolerance 0.08\)\n\Z", res.stdout, re.M)
    assert verdict, res.stdout
    data = json.loads(out.read_text())
    assert data["summary"]["questions"] == len(data["records"]) == 2 * len(by_lang)
    assert set(by_lang) == set(data["by_language"]) >= {"de", "en", "ru", "tr"}
    rec = data["records"][0]
    assert {"answer", "metrics", "passed", "ranked_docs", "latency_ms"} <= set(rec)
    page = (tmp_path / "report" / "index.html").read_text()
    assert f"{verdict.group(1)}/{verdict.group(2)} passed" in page
    assert "Quality against the targets" in page and "data:image/svg+xml;base64," in page
    assert int(verdict.group(1)) == sum(r["passed"] for r in data["records"])
    if int(verdict.group(1)) < int(verdict.group(2)):  # the failures, with their reasons
        assert re.search(r"^failures \(\d+\): ", res.stdout, re.M)
        assert page.index("Failures (") < page.index("<summary>Passed (") < page.index("Charts")
    better = tmp_path / "better.json"  # beyond any result: must_mention over 1 + tolerance
    better.write_text(json.dumps({"summary": {**data["summary"], "must_mention": 1.08}}))
    res = run_cli("eval", "--store", str(cli_store), "--testset", str(few), "--baseline",
                  str(better))
    assert res.returncode == 5
    assert "must_mention" in res.stderr and "Traceback" not in res.stderr


def test_show_gives_the_record_and_what_the_cleaner_removed(cli_store):
    res = run_cli("show", "002_4833b406109e9443", "--removed", "--json", "--store",
                  str(cli_store))
    assert res.returncode == 0, res.stderr
    rec = json.loads(res.stdout)
    assert (rec["date"], rec["lang"], rec["source"]) == ("2025-12-06", "en",
                                                         "002_4833b406109e9443.txt")
    assert "Latest News" in rec["removed_lines"] and "Latest News" not in rec["text"]
    assert "Kubanychbek Omuraliev" in rec["text"]
    assert "000_f31eb0e9395e6032" in {o["doc_id"] for o in rec["also_reported_in"]}
    res = run_cli("show", "no-such-id", "--store", str(cli_store))
    assert res.returncode == 2 and "take an id from 'search'" in res.stderr
