"""Shared fixtures: tiny inline corpora for fast tests, real models loaded once per session."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from assistant.app.environment import prepare_process

prepare_process()  # the test session is an entry point: offline, like the product
ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "corpus" / "articles"

# Tiny multilingual corpus: the same facts in several languages and scripts.
TINY = {
    "en/omuraliev.txt": " date 2025-12-06 OTS chief visits Baku\n\nKubanychbek Omuraliev, "
    "Secretary-General of the Organization of Turkic States, met labour ministers in Baku on "
    "Saturday to discuss employment and social protection.\n\nThe meeting ended with a "
    "declaration on cooperation in labour and social protection.\n",
    "ru/babayev.txt": " date 2023-09-06 Министр труда Сахиль Бабаев принял делегацию "
    "Узбекистана в Баку и обсудил сотрудничество в сфере социальной защиты.\n\nСтороны "
    "договорились расширять обмен опытом в области электронных социальных услуг.\n",
    "de/wetter.md": "Das Wetter in Hamburg\n\nIn Hamburg regnete es am Montag den ganzen Tag, "
    "und die Temperaturen lagen bei zwölf Grad Celsius im Stadtgebiet.\n",
}


def write_corpus(folder: Path, files: dict[str, str] = TINY) -> Path:
    for rel, text in files.items():
        p = folder / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads a developer's assistant.toml or ASSISTANT_* settings."""
    for k in list(os.environ):
        if k.startswith("ASSISTANT_"):
            monkeypatch.delenv(k)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def embedders():
    """The real default embedders (e5-small + USE through sentence-transformers), loaded once."""
    from assistant.engine.config import Config
    from index import load_embedder

    return [load_embedder(name) for name in Config().embedders]


@pytest.fixture(scope="session")
def bundled_assistant(embedders, tmp_path_factory):
    """An Assistant over the bundled corpus, indexed once into a temporary store."""
    from assistant.engine.config import load_config
    from assistant.engine.service import Assistant

    store = tmp_path_factory.mktemp("bundled-store")
    app = Assistant(load_config(toml_path="/nonexistent", env={}, corpus=str(BUNDLED),
                                store=str(store)), embedders=embedders)  # the session's models
    app.index()
    return app


def run_cli(*args: str, timeout: float = 300, env: dict | None = None, prefix=()):
    """Run the real entry point in a subprocess; returns CompletedProcess."""
    import subprocess

    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    full_env.update(env or {})
    return subprocess.run([*prefix, sys.executable, "-m", "assistant", *args],
                          capture_output=True, text=True, timeout=timeout, env=full_env,
                          cwd=ROOT)
