"""`ask` and `search` through a `serve` already running on this machine (the way `ollama run`
talks to its server): the models are loaded there, so a question costs a request, not a
model load. Used only when that server reads the same store; otherwise, or when it does not
answer at once, the command answers by itself."""

from __future__ import annotations

import hashlib
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


def running_server(cfg: Config, store_name: str) -> Server | None:
    """The `serve` on this machine's configured port if it answers at once and reads
    ``store_name`` in the same mode; else None."""
    import httpx

    url = f"http://127.0.0.1:{cfg.port}"
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
