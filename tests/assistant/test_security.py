"""What the page and the API trust, tested the way an attacker would try it (SECURITY.md):
path tricks in article ids, routes without the login, bodies over the limit or of no stated
length, markup in uploaded file names."""

from __future__ import annotations

import httpx
import pytest

from tests.assistant.test_http_api import SG, Running

pytestmark = pytest.mark.slow

TRICKS = ["../../../../etc/passwd", "..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e/%2e%2e/etc/passwd",
          "/etc/passwd", "000_f31eb0e9395e6032/../../../etc/passwd", "000_f31eb0e9395e6032.txt",
          "..\\..\\etc\\passwd", "000_f31eb0e9395e6032%00", "' OR 1=1 --"]
PUBLIC = {"/docs", "/docs/oauth2-redirect", "/openapi.json", "/redoc"}  # the schema, no data


@pytest.fixture(scope="module")
def locked(bundled_assistant):
    running = Running(bundled_assistant, credentials=("alice", "s3cret"))
    yield running
    running.stop()


AUTH = {"authorization": "Bearer s3cret"}


@pytest.mark.parametrize("trick", TRICKS)
def test_article_ids_are_looked_up_never_opened_as_paths(locked, trick):
    r = httpx.get(f"{locked.url}/api/articles/{trick}", headers=AUTH)
    assert r.status_code in (401, 404)  # (a client may resolve "../" before sending)
    assert "root:" not in r.text and "Traceback" not in r.text
    if r.request.url.path.startswith("/api/articles/"):
        assert r.json()["field"] == "doc_id"
    good = httpx.get(f"{locked.url}/api/articles/000_f31eb0e9395e6032", headers=AUTH)
    assert good.status_code == 200 and good.json()["id"] == "000_f31eb0e9395e6032"


def test_with_a_login_no_route_but_the_schema_answers_without_it(locked, bundled_assistant):
    """Every route the server has (the API's and the page's) refuses a request without the
    login, except the OpenAPI description and /api/health's "ok" and version; /api/health
    never names the store's path."""
    from fastapi.routing import APIRoute

    from assistant.app.server import build_server

    server = build_server(bundled_assistant, ("alice", "s3cret"))
    api_routes = [r for r in server.routes if isinstance(r, APIRoute)]
    assert {"/api/ask", "/api/search", "/api/health", "/v1/chat/completions"} <= {
        r.path for r in api_routes}
    for route in api_routes:
        path = route.path.replace("{doc_id:path}", "000_f31eb0e9395e6032")
        for method in route.methods - {"HEAD"}:
            r = httpx.request(method, f"{locked.url}{path}", json={"question": SG},
                              follow_redirects=False)
            if path == "/api/health":  # up, and nothing more, to anyone (a load balancer)
                assert r.status_code == 200 and set(r.json()) == {"status", "version"}
                continue
            assert r.status_code == 401, (method, path, r.status_code)
    for path in ("/config", "/gradio_api/info", "/gradio_api/upload"):  # "/": the login form
        assert httpx.get(f"{locked.url}{path}").status_code in (401, 403, 405), path
    assert "Omuraliev" not in httpx.get(f"{locked.url}/").text
    assert httpx.get(f"{locked.url}/openapi.json").status_code == 200
    assert {r.path for r in server.routes if not isinstance(r, APIRoute)
            and getattr(r, "path", "").startswith(("/docs", "/openapi", "/redoc"))} <= PUBLIC
    health = httpx.get(f"{locked.url}/api/health", headers=AUTH).json()
    assert health["status"] == "ok" and health["store"].startswith("sha256:")
    assert str(bundled_assistant.store) not in httpx.get(f"{locked.url}/api/health",
                                                         headers=AUTH).text


def test_bodies_over_the_limit_or_of_no_stated_length_are_refused_unread(locked):
    from assistant.app.api import MAX_BODY

    big = b'{"question": "' + b"a" * MAX_BODY + b'"}'
    r = httpx.post(f"{locked.url}/api/ask", content=big, headers={
        **AUTH, "content-type": "application/json"})
    assert r.status_code == 413 and r.json()["field"] == "body"

    def chunks():  # chunked transfer: no Content-Length to check before reading
        yield b'{"question": "'
        yield b"b" * 1000
        yield b'"}'

    r = httpx.post(f"{locked.url}/v1/chat/completions", content=chunks(), headers={
        **AUTH, "content-type": "application/json"})
    assert r.status_code == 413


def test_markup_in_an_uploaded_file_name_is_shown_as_text(bundled_assistant, tmp_path):
    from dataclasses import replace

    from assistant.app.ui.callbacks import Page
    from assistant.engine.service import Assistant

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    app = Assistant(replace(bundled_assistant.config, corpus=str(corpus)),
                    embedders=bundled_assistant.embedders)
    evil = tmp_path / '<img src=x onerror="alert(1)">.txt'
    evil.write_text(" date 2025-12-09 A title\n\nA body long enough to be an article.\n")
    msg, added = Page(app).upload([str(evil)])
    assert added and "<img" not in msg and "&lt;img src=x" in msg
    assert (corpus / "uploads" / evil.name).read_text() == evil.read_text()
