"""Bad input through the real entry point: one sentence on stderr, non-zero exit, no traceback.

None of these loads a model: input is checked before anything heavy is imported.
"""

import fcntl
import os

import pytest

from tests.conftest import run_cli, write_corpus


@pytest.fixture
def paths(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    bad = tmp_path / "bad-corpus"
    bad.mkdir()
    (bad / "scan.txt").write_bytes(bytes(range(256)) * 4)  # binary: no article anywhere
    afile = tmp_path / "a-file"
    afile.write_text("x")
    batch_bad = tmp_path / "bad.jsonl"
    batch_bad.write_text('{"id": 1, "question": "ok?"}\nnot json\n')
    batch_noq = tmp_path / "noq.jsonl"
    batch_noq.write_text('{"id": 1}\n')
    return {"corpus": str(corpus), "bad": str(bad), "file": str(afile), "tmp": str(tmp_path),
            "batch_bad": str(batch_bad), "batch_noq": str(batch_noq)}


CASES = [
    (["ask", ""], 2, "question is empty"),
    (["ask", "   "], 2, "question is empty"),
    (["ask"], 2, "question is empty"),
    (["search", ""], 2, "question is empty"),
    (["ask", "--k", "0", "q"], 2, "not a positive whole number"),
    (["ask", "--since", "2025-13-01", "q"], 2, "not a real date"),
    (["ask", "--until", "yesterday", "q"], 2, "not a date"),
    (["ask", "--lang", "Russian!", "q"], 2, "not a language list"),
    (["ask", "--lang", "ru,xx", "q"], 2, "'xx' is not an ISO 639-1 language code"),
    (["search", "--since", "2025-02-01", "--until", "2025-01-01", "q"], 2, "swap them"),
    (["serve", "--port", "70000"], 2, "not a port number"),
    (["serve", "--auth", "alice"], 2, "user:password"),
    (["serve", "--host", "0.0.0.0"], 2, "add --auth USER:PASSWORD, or --insecure"),
    (["ask", "--mode", "llm", "q"], 2, "mode 'llm' needs llm_model"),
    (["ask", "--mode", "poetry", "q"], 2, "invalid choice"),
    (["frobnicate"], 2, "invalid choice"),
    (["ask", "--batch", "{tmp}/missing.jsonl"], 2, "does not exist"),
    (["ask", "--batch", "{batch_bad}"], 2, "line 2 of"),
    (["ask", "--batch", "{batch_noq}"], 2, 'has no "question"'),
    (["ask", "--batch", "{batch_noq}", "also a question"], 2, "not both"),
    (["index", "--corpus", "{tmp}/no-such-folder", "--store", "{tmp}/s"], 3, "does not exist"),
    (["index", "--corpus", "{file}", "--store", "{tmp}/s"], 3, "not a folder"),
    (["index", "--corpus", "{bad}", "--store", "{tmp}/s"], 3, "scan.txt: it is a binary file"),
    (["index", "--corpus", "{corpus}", "--store", "{file}/store"], 4, "cannot write to store"),
    (["ask", "--no-server", "--corpus", "{tmp}/no-such-folder", "--store", "{tmp}/s", "q"], 3,
     "does not exist"),
    (["index", "--corpus", "{corpus}", "--store", "http://127.0.0.1:9"], 4, "does not answer"),
    (["ask", "--store", "ftp://x", "q"], 2, "not a Chroma server URL"),
    (["index", "--shard", "3/2"], 2, "'3/2' is not I/N with 1 <= I <= N"),
    (["index", "--shard", "half"], 2, "'half' is not I/N"),
    (["index", "--corpus", "{corpus}", "--store", "{tmp}/s", "--shard", "1/2"], 2,
     "--shard is for a Chroma server store"),
    (["eval", "--testset", "{tmp}/missing.jsonl"], 2, "does not exist"),
    (["eval", "--testset", "{batch_bad}"], 2, "lacks"),
    (["eval", "--baseline", "{file}"], 2, "not a readable JSON summary"),
    (["eval", "--tolerance", "2"], 2, "between 0 and 1"),
    (["import-squad", "{tmp}/nope.json", "--out", "{tmp}/o"], 2, "does not exist"),
    (["import-beir", "{tmp}", "--out", "{tmp}/o"], 2, "not a BEIR folder"),
]


@pytest.mark.parametrize("args,code,message", CASES, ids=[" ".join(c[0]) or "empty" for c in CASES])
def test_bad_input(paths, args, code, message):
    res = run_cli(*[a.format(**paths) for a in args], timeout=120)
    assert res.returncode == code, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert message in lines[0]
    assert "Traceback" not in res.stderr and res.stdout == ""
    assert not os.path.exists(os.path.join(paths["tmp"], "s"))  # a failed run leaves no store


SETTINGS = [  # ASSISTANT_* settings, each read and refused before anything loads
    ({"ASSISTANT_THREADS": "0"}, "threads must be at least 1"),
    ({"ASSISTANT_THREADS": "two"}, "threads='two' is not a valid int"),
    ({"ASSISTANT_K": "0"}, "k must be between 1 and 100"),
    ({"ASSISTANT_KEYWORD_WEIGHT": "-1"}, "keyword_weight must be 0 or more"),
    ({"ASSISTANT_EMBEDDER_WEIGHTS": "use=-2"}, "weight of 0 or more"),
    ({"ASSISTANT_PORT": "99999"}, "port must be between 1 and 65535"),
    ({"ASSISTANT_MODE": "poetry"}, "answer mode 'poetry' is not known"),
    ({"ASSISTANT_MODE": "llm"}, "mode 'llm' needs llm_model"),
    ({"ASSISTANT_LLM_URL": "localhost:11434"}, "is not an http(s) URL"),
    ({"ASSISTANT_LLM_TIMEOUT": "0"}, "llm_timeout must be positive"),
    ({"ASSISTANT_ANSWERER": "magic"}, "answerer 'magic' is not known"),
    ({"ASSISTANT_MAX_ARTICLE_CHARS": "10"}, "max_article_chars must be at least 1000"),
    ({"ASSISTANT_AUTH": "nopassword"}, "user:password"),
    ({"ASSISTANT_RECORD_FIELDS": "body"}, "not attribute=field"),
    ({"ASSISTANT_EMBEDDERS": ""}, "no embedder configured"),
]


@pytest.mark.parametrize("env,message", SETTINGS, ids=[next(iter(e)) for e, _ in SETTINGS])
def test_bad_settings(env, message):
    res = run_cli("config", env=env, timeout=60)
    assert res.returncode == 2, res.stdout + res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert "Traceback" not in res.stderr


def test_a_first_index_that_fails_leaves_no_store(paths, tmp_path):
    """`search` on a new store indexes first; when no file holds an article it says so,
    and the store it began is removed (nothing half-made is left for the next run)."""
    store = tmp_path / "new-store"
    res = run_cli("search", "--no-server", "--corpus", paths["bad"], "--store", str(store),
                  "q", timeout=300)
    assert res.returncode == 3 and "scan.txt: it is a binary file" in res.stderr
    assert "Traceback" not in res.stderr and not store.exists()


def test_store_in_use(paths, tmp_path):
    store = tmp_path / "busy-store"
    store.mkdir()
    fd = os.open(store / ".lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        res = run_cli("index", "--corpus", paths["corpus"], "--store", str(store), timeout=300)
    finally:
        os.close(fd)
    assert res.returncode == 4
    assert "in use by another 'index' run" in res.stderr and "Traceback" not in res.stderr
    assert not (store / "chroma").exists()  # nothing half-written


def test_help_is_fast_and_lists_the_contract():
    res = run_cli("--help")
    assert res.returncode == 0
    for cmd in ("index", "ask", "search", "serve"):
        assert cmd in res.stdout
    res = run_cli("ask", "--help")
    for flag in ("--json", "--k", "--lang", "--since", "--until", "--batch", "--corpus", "--store"):
        assert flag in res.stdout


def test_config_names_the_e5_backend_and_the_cpu_without_loading_models():
    from index.embedders.e5engine import BACKENDS, cpu_features, cpu_model

    res = run_cli("config", timeout=60)
    assert res.returncode == 0, res.stderr
    line = next(x for x in res.stdout.splitlines() if x.startswith("# e5-small backend"))
    assert cpu_model() in line and " ".join(cpu_features()) in line
    assert line.split(": ", 1)[1].split(" ", 1)[0] in (*BACKENDS, "not")
    assert "model:" not in res.stderr  # nothing was built or timed
