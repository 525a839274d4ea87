"""The HTTP API through real clients (httpx, openai) against the real server (FastAPI with the
Gradio page mounted, served by uvicorn on a free port) over the bundled index."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import pytest

from corpus import UsageError

pytestmark = pytest.mark.slow

SG = "Who is the Secretary-General of the Organization of Turkic States?"


class Running:
    """The product's server in a thread of this process (sharing the session's models)."""

    def __init__(self, app, credentials=None):
        import uvicorn

        from assistant.app.server import build_server

        self.server = uvicorn.Server(uvicorn.Config(build_server(app, credentials),
                                                    host="127.0.0.1", port=0,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 60
        while not self.server.started:
            assert time.time() < deadline, "the server did not start"
            time.sleep(0.1)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def api(bundled_assistant):
    running = Running(bundled_assistant)
    yield running.url
    running.stop()


def test_json_routes_give_the_command_lines_objects(api, bundled_assistant):
    from assistant.app.output import hits_dict

    r = httpx.post(f"{api}/api/ask", json={"question": SG}, timeout=60)
    assert r.status_code == 200
    got, want = r.json(), bundled_assistant.ask(SG).to_dict()
    assert set(got) == set(want)
    assert (got["answer"], got["citations"], got["mode"]) == (want["answer"],
                                                              want["citations"], "extractive")
    r = httpx.post(f"{api}/api/search", json={"question": SG, "k": 3, "lang": ["de"]},
                   timeout=60)
    assert r.json() == hits_dict(SG, bundled_assistant.search(
        SG, k=3, filters=__import__("assistant.engine", fromlist=["Filters"]).Filters(("de",))),
        None)
    doc = got["citations"][0]["doc_id"]
    art = httpx.get(f"{api}/api/articles/{doc}").json()
    c = got["citations"][0]
    assert art["id"] == doc and art["text"][c["start"]:c["end"]] == c["quote"]
    health = httpx.get(f"{api}/api/health").json()
    assert health["status"] == "ok" and health["articles"] == 5 and health["chunks"] > 5
    follow = httpx.post(f"{api}/api/ask", json={"question": "And who led the Uzbek delegation?",
                                                "history": [SG]}, timeout=60).json()
    assert "Abruyev" in follow["short_answer"]
    assert httpx.get(f"{api}/docs").status_code == 200
    # the page's title and link preview name the product and what it has read, not Gradio
    page = httpx.get(f"{api}/", timeout=30).text
    assert "<title>News assistant · 5 news articles (ru, de, en), 2023-09 to 2025-12</title>" \
        in page
    assert '<meta property="og:title" content="News assistant · 5 news articles' in page
    assert 'content="Gradio"' not in page and "<title>Gradio" not in page
    assert "/api/ask" in httpx.get(f"{api}/openapi.json").json()["paths"]


BAD = [
    ({"content": b""}, 422, "body"),
    ({"json": {"question": ""}}, 422, "question"),
    ({"json": {"question": "   \n "}}, 422, "question"),  # blank: as the empty one
    ({"json": {"question": "x" * 100_000}}, 422, "question"),
    ({"json": {"question": 5}}, 422, "question"),
    ({"json": {"question": "Who?", "k": 0}}, 422, "k"),
    ({"json": {"question": "Who?", "k": "five"}}, 422, "k"),
    ({"json": {"question": "Who?", "since": "2025-13-01"}}, 422, "since"),
    ({"json": {"question": "Who?", "since": "2025-02-01", "until": "2025-01-01"}}, 422, "since"),
    ({"json": {"question": "Who?", "lang": "english"}}, 422, "lang"),
    ({"json": {"question": "Who?", "lang": "xx"}}, 422, "lang"),  # not ISO 639-1
    ({"json": {"question": "Who?", "lang": ["ru", "rus"]}}, 422, "lang"),
    ({"json": {"question": "Who?", "history": "not a list"}}, 422, "history"),
    ({"json": {"question": "Who?", "mode": "magic"}}, 422, "mode"),
    ({"json": {"question": "Who?", "mode": "llm"}}, 422, "mode"),  # no LLM configured
    ({"json": {"question": "Who?", "colour": 1}}, 422, "colour"),
    ({"json": [1, 2]}, 422, "body"),
    ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 422, "body"),
    ({"content": b"question=Who", "headers": {"content-type": "text/plain"}}, 415,
     "content-type"),
    ({"content": b"{" + b" " * 1_100_000 + b"}",
      "headers": {"content-type": "application/json"}}, 413, "body"),
]


@pytest.mark.parametrize("request_kw, status, field", BAD)
def test_bad_requests_get_a_4xx_naming_the_field(api, request_kw, status, field):
    kw = dict(request_kw)
    if "content" in kw and "headers" not in kw:
        kw["headers"] = {"content-type": "application/json"}
    r = httpx.post(f"{api}/api/ask", timeout=60, **kw)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["field"] == field and body["error"].endswith(".")
    assert "Traceback" not in r.text and len(body["error"]) < 300
    assert httpx.get(f"{api}/api/articles/no-such-id").status_code == 404


def test_a_language_no_article_has_is_a_refusal_not_an_error(api):
    r = httpx.post(f"{api}/api/ask", json={"question": SG, "lang": "ja"}, timeout=60)
    assert r.status_code == 200, r.text
    got = r.json()
    assert not got["answerable"] and "ja" in got["answer"] and not got["citations"]


def test_the_version_is_the_packages_and_messages_carry_no_paths():
    import tomllib

    from assistant import __version__
    from assistant.app.api import without_paths

    meta = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert __version__ == meta["project"]["version"]
    said = without_paths("store /srv/news/store is in use by another 'index' run: wait.")
    assert said == "store store is in use by another 'index' run: wait."
    assert without_paths("see http://server:8000/api/x") == "see http://server:8000/api/x"


def test_an_openai_client_gets_cited_answers_streamed_and_not(api):
    import openai

    client = openai.OpenAI(base_url=f"{api}/v1", api_key="unused", max_retries=0)
    assert [m.id for m in client.models.list()] == ["news-assistant"]
    r = client.chat.completions.create(model="news-assistant",
                                       messages=[{"role": "user", "content": SG}])
    text = r.choices[0].message.content
    # tokens by the e5 tokenizer: the question is over 10, the cited reply far more
    assert 10 < r.usage.prompt_tokens < 40 < r.usage.completion_tokens
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
    assert "[1]" in text and "\n\nSources:\n[1] " in text
    cites = r.model_extra["citations"]
    assert cites and ("Omuraliev" in text or "Омуралиев" in text)
    assert r.model_extra["news_assistant"]["answerable"] is True
    stream = client.chat.completions.create(
        model="news-assistant", stream=True, stream_options={"include_usage": True},
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": SG},
                  {"role": "assistant", "content": text},
                  {"role": "user", "content": "And who led the Uzbek delegation?"}])
    chunks = list(stream)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and
              c.choices[0].delta.content]
    assert len(pieces) > 3 and "Abruyev" in "".join(pieces).split("Sources:")[0]
    assert not chunks[-1].choices and chunks[-1].usage.completion_tokens > 10
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user",
                                                                  "content": SG}])
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(model="news-assistant", messages=[])


def test_with_a_login_every_route_needs_the_bearer_token(bundled_assistant):
    import openai

    running = Running(bundled_assistant, credentials=("alice", "s3cret"))
    try:
        url = running.url
        assert httpx.post(f"{url}/api/ask", json={"question": SG}).status_code == 401
        bad = httpx.post(f"{url}/api/ask", json={"question": SG},
                         headers={"authorization": "Bearer wrong"})
        assert bad.status_code == 401 and bad.json()["field"] == "authorization"
        ok = httpx.post(f"{url}/api/ask", json={"question": SG}, timeout=60,
                        headers={"authorization": "Bearer s3cret"})
        assert ok.status_code == 200 and ok.json()["answerable"]
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=f"{url}/v1", api_key="nope", max_retries=0).models.list()
        assert openai.OpenAI(base_url=f"{url}/v1", api_key="s3cret").models.list().data
        # the page itself asks for the login
        assert httpx.get(f"{url}/config").status_code in (401, 403)
        # health: "ok" and the version to anyone, the rest with the login only
        from assistant import __version__

        anyone = httpx.get(f"{url}/api/health")
        assert anyone.status_code == 200
        assert anyone.json() == {"status": "ok", "version": __version__}
        full = httpx.get(f"{url}/api/health", headers={"authorization": "Bearer s3cret"}).json()
        assert full["articles"] == 5 and full["store"].startswith("sha256:")
        assert "/" not in json.dumps(full)  # no path, absolute or not
    finally:
        running.stop()


def test_serving_beyond_this_machine_needs_a_login_or_insecure():
    from assistant.app.server import check_exposure

    check_exposure("127.0.0.1", None, False)
    check_exposure("::1", None, False)
    check_exposure("0.0.0.0", ("a", "b"), False)
    check_exposure("0.0.0.0", None, True)
    with pytest.raises(UsageError, match="--auth USER:PASSWORD, or --insecure"):
        check_exposure("0.0.0.0", None, False)


@pytest.mark.e2e
def test_twenty_chats_at_once_each_get_their_own_answer(api):
    """20 clients at once (the API, an OpenAI client streaming, the page's endpoint), each
    with its own conversation: none fails, none gets another's answer."""
    from benchmarks.api_load import chats

    latencies, failures = chats(api, clients=20, rounds=1)
    assert failures == [] and len(latencies) == 20
