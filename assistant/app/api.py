"""The HTTP API beside the chat page: JSON routes that mirror the command line, and an
OpenAI-compatible chat completion so any OpenAI client or chat front-end can ask.

    POST /api/ask       the `ask --json` object        POST /api/search   the `search --json` one
    GET  /api/articles/{id}   an article (`show --json`)   GET /api/health
    POST /v1/chat/completions (model "news-assistant", stream or not)   GET /v1/models
    GET  /docs          the OpenAPI description

Bad input is a 4xx with ``{"error": "one sentence", "field": ...}`` (OpenAI's error shape on
/v1); bodies over 1 MB are refused before they are read. With a login every route but the
OpenAPI description (/docs, /openapi.json) and /api/health needs ``Authorization: Bearer
<the login's password>``; without it /api/health says only "ok" and the version, with it
(or with no login set) the counts and the store by a digest, never its path. Questions
share the page's lock for retrieval and the extractive answer, so the models are used by
one request at a time.
"""

from __future__ import annotations

import re
import secrets
import threading
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from assistant import __version__
from assistant.engine.checks import MAX_QUESTION
from assistant.engine.retrieval import Filters
from assistant.engine.service import Assistant
from corpus import AssistantError, UsageError
from corpus.dates import check_date
from corpus.lang import ISO_639_1

from . import openai_chat
from .output import article_dict, hits_dict
from .via_server import store_id

MAX_BODY = 1_000_000  # bytes


class ApiError(Exception):
    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION,
                          description="The question, in any supported language.")
    k: int | None = Field(None, ge=1, le=50, description="Passages to retrieve (1-50).")
    lang: list[str] | str | None = Field(
        None, description="Only sources in these languages: 'ru' or ['ru', 'en'].")
    since: str | None = Field(None, description="Only articles dated on/after YYYY-MM-DD.")
    until: str | None = Field(None, description="Only articles dated on/before YYYY-MM-DD.")
    history: list[Annotated[str, Field(max_length=MAX_QUESTION)]] = Field(
        [], max_length=50, description="Earlier questions of the conversation, oldest first.")
    mode: Literal["extractive", "llm"] | None = Field(None, description="Answer mode.")

    @field_validator("question")
    @classmethod
    def _blank(cls, v: str) -> str:
        if not v.strip():  # as the empty one: a 422 naming the field
            raise PydanticCustomError("string_too_short", "the question is blank")
        return v

    @field_validator("lang")
    @classmethod
    def _langs(cls, v):
        """ISO 639-1 codes only; one no indexed article has is a refusal, not an error."""
        if v is None:
            return v
        langs = [x.strip().lower() for x in ([v] if isinstance(v, str) else v) if x.strip()]
        if not langs:
            raise ValueError("use ISO 639-1 language codes such as 'en' or ['ru', 'de']")
        unknown = [x for x in langs if x not in ISO_639_1]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not an ISO 639-1 language code: use e.g. "
                             "'en', 'ru', 'de', 'tr' or 'az'")
        return langs

    @field_validator("since", "until")
    @classmethod
    def _date(cls, v):
        if v is None:
            return v
        try:
            return check_date(v)
        except ValueError as exc:
            raise ValueError(str(exc)) from None

    def checked(self, app: Assistant) -> Filters:
        """The filters; an ApiError for what the body asks that this server cannot do."""
        if self.mode == "llm" and not app.config.llm_model:
            raise ApiError(422, "mode 'llm' needs an LLM, and this server has none: leave "
                           "mode out (extractive answers), or start serve with llm_url and "
                           "llm_model.", "mode")
        return self.filters()

    def filters(self) -> Filters:
        if self.since and self.until and self.since > self.until:
            raise ApiError(422, f"the date range {self.since} to {self.until} is empty: put "
                           "the earlier date in since.", "since")
        return Filters(tuple(self.lang or ()), self.since, self.until)


def build_api(app: Assistant, lock: threading.Lock,
              credentials: tuple[str, str] | None = None) -> FastAPI:
    api = FastAPI(title="News assistant API", version="1",
                  description="Cited answers from a news corpus: the command line's JSON over "
                  "HTTP, and an OpenAI-compatible chat completion.")

    def authorised(request: Request) -> None:
        if credentials is None:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token.strip(),
                                                                     credentials[1]):
            raise ApiError(401, "this server needs a login: send the header 'Authorization: "
                           "Bearer <password>' (the password of serve --auth).", "authorization")

    guard = [Depends(authorised)]

    @api.middleware("http")
    async def _limits(request: Request, call_next):
        if request.method == "POST" and request.url.path.startswith(("/api/", "/v1/")):
            ctype = request.headers.get("content-type", "")
            if not ctype.startswith("application/json"):
                return _error(request, 415, f"the body must be JSON, sent with 'Content-Type: "
                              f"application/json' (got {ctype or 'none'!r}).", "content-type")
            size = request.headers.get("content-length")
            if size is None or not size.isdigit() or int(size) > MAX_BODY:
                return _error(request, 413, f"the body must have a Content-Length of at most "
                              f"{MAX_BODY} bytes: send a shorter question and history.", "body")
        return await call_next(request)

    @api.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return _error(request, exc.status, exc.message, exc.field)

    @api.exception_handler(AssistantError)
    async def _user_error(request: Request, exc: AssistantError):
        # the input is checked above (422s naming a field): what is left is the store's or
        # the corpus's state, which the client cannot fix by sending something else
        return _error(request, 400 if isinstance(exc, UsageError) else 503,
                      without_paths(str(exc)), None)

    @api.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        field, message = _first_problem(exc.errors())
        return _error(request, 422, message, field)

    @api.post("/api/ask", dependencies=guard, summary="Answer a question with cited passages")
    def ask(q: Question) -> dict[str, Any]:
        flt = q.checked(app)
        with lock:
            return app.ask(q.question, q.k, flt, q.history, q.mode).to_dict()

    @api.post("/api/search", dependencies=guard, summary="Retrieve passages only")
    def search(q: Question) -> dict[str, Any]:
        flt = q.checked(app)
        with lock:
            return hits_dict(q.question, app.search(q.question, q.k, flt, q.history), None)

    @api.get("/api/articles/{doc_id:path}", dependencies=guard, summary="One article")
    def article(doc_id: str) -> dict[str, Any]:
        rec = app.article(doc_id)
        if rec is None:
            raise ApiError(404, f"no article {doc_id!r} in the store: take a doc_id from an "
                           "answer's citations or from /api/search.", "doc_id")
        return article_dict(rec, app.also_reported_in(doc_id))

    @api.get("/api/health", summary="Up and the version; with the login (or none set) the "
             "store's digest, counts, languages, models and mode")
    def health(request: Request) -> dict[str, Any]:
        try:
            authorised(request)
        except ApiError:
            return {"status": "ok", "version": __version__}
        try:
            cat = app.catalogue()
            chunks = len(app.retriever.keyword)
        except AssistantError as exc:
            return JSONResponse({"status": "error", "version": __version__,
                                 "error": str(exc)}, status_code=503)
        return {"status": "ok", "version": __version__, "store": store_id(str(app.store)),
                "articles": len(cat), "chunks": chunks,
                "languages": sorted({a["lang"] for a in cat if a["lang"]}),
                "models": [e.name for e in app.embedders], "mode": app.config.mode}

    openai_chat.add_routes(api, app, lock, guard, ApiError)
    return api


_PATH = re.compile(r"(?<![\w:/.~])(?:~|/)[^\s'\"]*/([^\s'\"/]+)")


def without_paths(message: str) -> str:
    """``message`` with each absolute path cut to its last part (the server's folders are
    nobody's business): "store /srv/a/store is in use" -> "store store is in use"."""
    return _PATH.sub(lambda m: m.group(1), message)


def _first_problem(errors: list[dict]) -> tuple[str, str]:
    """The first validation error as (field, one sentence that says how to fix it)."""
    if not errors:
        return "body", "the request is not valid: send a JSON object."
    e = errors[0]
    loc = [str(x) for x in e.get("loc", ()) if x != "body"]
    field = ".".join(loc) or "body"
    kind, msg = e.get("type", ""), e.get("msg", "invalid")
    if field == "body" and kind in ("missing", "model_attributes_type", "dict_type"):
        return "body", "the body must be a JSON object such as " \
                       '{"question": "Who is the Secretary-General of the OTS?"}.'
    if kind == "json_invalid":
        return "body", "the body is not valid JSON: send a JSON object such as " \
                       '{"question": "Who is the Secretary-General of the OTS?"}.'
    if kind == "missing":
        return field, f"{field} is required: add it to the JSON object."
    if kind == "extra_forbidden":
        return field, f"{field} is not a field of this request: remove it (see /docs)."
    if field == "question" and kind == "string_too_long":
        return field, f"the question is too long: keep it under {MAX_QUESTION} characters."
    if field == "question" and kind == "string_too_short":
        return field, "the question is empty: send a question, e.g. \"Who is the " \
                      "Secretary-General of the OTS?\"."
    msg = msg.removeprefix("Value error, ")
    return field, f"{field} is not valid ({msg[0].lower() + msg[1:]}): fix it and send again."


def _error(request: Request, status: int, message: str, field: str | None) -> JSONResponse:
    if request.url.path.startswith("/v1/"):  # OpenAI's error shape, which its clients read
        return JSONResponse({"error": {"message": message, "type": "invalid_request_error",
                                       "param": field, "code": status}}, status_code=status)
    return JSONResponse({"error": message, "field": field}, status_code=status)

