"""`ask` and `search` through a `serve` already running on this machine (the way `ollama run`
talks to its server): the models are loaded there, so a question costs a request, not a
model load. Used only when that server reads the same store; otherwise, or when it does not
answer at once, the command answers by itself.

`serve` writes its address and pid into the store (``serve.json`` in a folder store; for a
Chroma server store, which may live on another machine, under the cache folder by the store's
digest), and removes it on exit; `ask` finds it there on any port, and ignores it when that
process is gone. Without it, the configured port is tried."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.engine.config import Config


def store_id(store: str) -> str:
    """How /api/health names its store: a digest of its path or URL, so that `ask` can tell
    a server reads its store without the server telling anyone where its files are."""
    return "sha256:" + hashlib.sha256(store.encode("utf-8")).hexdigest()[:16]


class Server:
    def __init__(self, url: str, token: str | None):
        self.url, self.token = url, token

    def post(self, route: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """The route's JSON answer, or None when the server fails (the caller answers)."""
        import httpx

        headers = {"authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            r = httpx.post(f"{self.url}{route}", json=body, headers=headers, timeout=120)
        except httpx.HTTPError:
            return None
        return r.json() if r.status_code == 200 else None


def store_name(cfg: Config) -> str:
    """The configured store as `serve` and `ask` both name it: a URL, or the folder resolved."""
    return cfg.store if "://" in cfg.store else str(Path(cfg.store).resolve())


def address_file(cfg: Config, store: str) -> Path:
    """Where the `serve` of the store ``store`` (``store_name``) writes its address."""
    if "://" not in store:
        return Path(store) / "serve.json"
    from index.embedders.e5build import default_cache

    cache = cfg.cache_dir() or default_cache()
    return cache / "servers" / f"{store_id(store).removeprefix('sha256:')}.json"


@contextlib.contextmanager
def announced(cfg: Config, store: str, host: str, port: int) -> Iterator[None]:
    """While serving the store ``store`` (``store_name``): the address and pid in
    ``address_file`` (best effort: a store this process may not write to leaves `ask` on the
    configured port)."""
    from corpus.jsonl import write_atomic

    path: Path | None = address_file(cfg, store)
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps({"url": f"http://{local}:{port}", "pid": os.getpid(),
                                       "store": store_id(store)}) + "\n")
    except OSError:
        path = None
    try:
        yield
    finally:
        if path is not None and (_announcement(path) or {}).get("pid") == os.getpid():
            path.unlink(missing_ok=True)


def _announcement(path: Path) -> dict | None:
    """The address file's {"url", "pid", ...}, or None when there is none readable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) and isinstance(data.get("pid"), int) \
            and isinstance(data.get("url"), str) else None
    except (OSError, ValueError):
        return None


def announced_url(cfg: Config, store: str) -> str | None:
    """The address a live `serve` of this store wrote; None when none did or it is gone."""
    data = _announcement(address_file(cfg, store))
    if data is None:
        return None
    try:
        os.kill(data["pid"], 0)
    except ProcessLookupError:
        return None  # that server is gone (killed without cleaning up)
    except PermissionError:
        pass  # alive, another user's
    return data["url"]


def running_server(cfg: Config, store_name: str) -> Server | None:
    """The `serve` of ``store_name`` on this machine (at the address it wrote into the store,
    else on the configured port) if it answers at once and reads that store; else None."""
    import httpx

    url = announced_url(cfg, store_name) or f"http://127.0.0.1:{cfg.port}"
    login = cfg.login()
    token = login[1] if login else None
    headers = {"authorization": f"Bearer {token}"} if token else {}
    try:
        r = httpx.get(f"{url}/api/health", headers=headers, timeout=0.5)
        health = r.json() if r.status_code == 200 else {}
    except (httpx.HTTPError, ValueError):
        return None
    if health.get("status") != "ok" or health.get("store") != store_id(store_name):
        return None
    return Server(url, token)


def question_body(question: str, flt, mode: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"question": question}
    if flt.langs:
        body["lang"] = list(flt.langs)
    if flt.since:
        body["since"] = flt.since
    if flt.until:
        body["until"] = flt.until
    if mode:
        body["mode"] = mode
    return body
