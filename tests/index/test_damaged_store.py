"""A damaged store says so and how to rebuild it; a read-only store can still be queried."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from corpus import StoreError
from index import Store
from tests.conftest import BUNDLED

pytestmark = pytest.mark.slow


def _app(store, embedders):
    from assistant.engine.config import load_config
    from assistant.engine.service import Assistant

    cfg = load_config(toml_path="/nonexistent", env={}, corpus=str(BUNDLED), store=str(store))
    return Assistant(cfg, embedders=embedders)


def test_a_damaged_store_names_the_fix_and_rebuild_repairs_it(bundled_assistant, embedders,
                                                               tmp_path):
    store = tmp_path / "store"
    shutil.copytree(bundled_assistant.store.path, store)
    db = Store(store).data_dir / "chroma" / "chroma.sqlite3"  # the published generation's
    data = bytearray(db.read_bytes())
    data[:4096] = b"\x07" * 4096  # the SQLite header and first page overwritten
    db.write_bytes(bytes(data))
    with pytest.raises(StoreError) as err:
        _app(store, embedders).search("Omuraliev")
    assert "is damaged" in str(err.value) and "index --rebuild" in str(err.value)
    assert "RustBindings" not in str(err.value) and "sqlite" not in str(err.value).lower()
    app = _app(store, embedders)
    report = app.index(rebuild=True)
    assert (report.articles, report.added) == (5, 5)
    assert app.ask("Who is the Secretary-General of the Organization of Turkic States?"
                   ).answerable


def test_a_read_only_store_can_be_queried(bundled_assistant, embedders, tmp_path):
    src, mnt = tmp_path / "src", tmp_path / "ro"
    shutil.copytree(bundled_assistant.store.path, src)
    mnt.mkdir()
    if subprocess.run(["mount", "--bind", str(src), str(mnt)], capture_output=True).returncode:
        pytest.skip("bind mounts need root")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(mnt)], check=True)
        app = _app(mnt, embedders)
        assert app.store.read_only()
        ans = app.ask("Кто возглавлял делегацию Узбекистана?")
        assert ans.answerable and ans.citations
        assert [h.chunk.id for h in app.search("Omuraliev")] == \
            [h.chunk.id for h in bundled_assistant.search("Omuraliev")]
        app.close()
    finally:
        if subprocess.run(["umount", str(mnt)], check=False).returncode:
            subprocess.run(["umount", "-l", str(mnt)], check=False)
