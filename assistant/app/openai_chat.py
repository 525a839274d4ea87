"""OpenAI's chat completion API over the assistant (model "news-assistant").

The last user message is the question, the earlier user messages its history (follow-ups
work). The reply's text is the answer with its [n] markers, then a "Sources:" list (in the
question's language, as every word around the answer), so any
chat front-end shows where the answer comes from; the citations also come as data in the
extra fields ``citations`` and ``news_assistant``, which OpenAI clients ignore. Streamed, the
answer arrives as it grows (sentence by sentence in LLM mode), the sources last. ``usage``
counts tokens with the e5 (XLM-R sentencepiece) tokenizer the product reads with: the
prompt is every message's text, the completion the reply's text; streamed, the last chunk
carries it when ``stream_options.include_usage`` asks, as OpenAI does.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant.engine.model import Answer
from assistant.engine.phrases import say
from assistant.engine.service import Assistant

MODEL = "news-assistant"


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # [{"type": "text", "text": ...}, ...]
            return " ".join(str(p.get("text", "")) for p in self.content
                            if p.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens...: accepted, unused

    model: str = Field(MODEL, description=f"Always {MODEL!r} (GET /v1/models).")
    messages: list[Message] = Field(min_length=1, max_length=200)
    stream: bool = False
    stream_options: dict[str, Any] | None = None


@lru_cache(maxsize=2)
def _tokenizer(cache: Path | None):
    from tokenizers import Tokenizer

    from index.embedders.e5build import ensure_e5

    tok = Tokenizer.from_file(str(ensure_e5(cache) / "tokenizer.json"))
    tok.no_truncation()
    return tok


def usage(app: Assistant, messages: list[Message], reply: str) -> dict[str, int]:
    """OpenAI's token counts, by the e5 tokenizer (no special tokens)."""
    tok = _tokenizer(app.config.cache_dir())
    prompt = sum(len(e.ids) for e in tok.encode_batch([m.text() for m in messages],
                                                       add_special_tokens=False))
    completion = len(tok.encode(reply, add_special_tokens=False).ids)
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}


def sources_text(ans: Answer) -> str:
    if not ans.citations:
        return ""
    lines = [f"[{c.n}] {c.title} ({', '.join(x for x in (c.date, c.lang) if x)}), "
             f"{c.article_id}: “{c.quote}”" for c in ans.citations]
    return f"\n\n{say('sources', ans.lang)}:\n" + "\n".join(lines)


def extra(ans: Answer) -> dict[str, Any]:
    d = ans.to_dict()
    return {"citations": d["citations"],
            "news_assistant": {k: d[k] for k in ("answerable", "mode", "confidence",
                                                 "short_answer", "short_answer_span",
                                                 "removed", "notice", "question")}}


def add_routes(api: FastAPI, app: Assistant, lock: threading.Lock, guard: list,
               error: type[Exception]) -> None:
    @api.get("/v1/models", dependencies=guard, summary="The one model: news-assistant")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": MODEL, "object": "model", "created": 0,
                                            "owned_by": "news-assistant"}]}

    @api.post("/v1/chat/completions", dependencies=guard,
              summary="OpenAI-compatible chat completion with cited answers")
    def chat(req: ChatRequest):
        if req.model != MODEL:
            raise error(404, f"there is no model {req.model!r} here: use {MODEL!r}.", "model")
        asked = [m.text() for m in req.messages if m.role == "user"]
        if not asked or not asked[-1].strip():
            raise error(422, "the messages hold no user question: end them with "
                        '{"role": "user", "content": "your question"}.', "messages")
        question, history = asked[-1], asked[:-1]
        with lock:  # retrieval and the extractive answer: one request at a time
            answers = app.ask_stream(question, history=history)
            first = next(answers)
        cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        if not req.stream:
            *_, last = itertools.chain((first,), answers)
            text = last.text + sources_text(last)
            return {"id": cid, "object": "chat.completion", "created": created, "model": MODEL,
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": text}}],
                    "usage": usage(app, req.messages, text), **extra(last)}
        count = (lambda reply: usage(app, req.messages, reply)) \
            if (req.stream_options or {}).get("include_usage") else None
        return StreamingResponse(_events(first, answers, cid, created, count),
                                 media_type="text/event-stream")


def _events(first: Answer, rest: Iterator[Answer], cid: str, created: int,
            count=None) -> Iterator[str]:
    def chunk(delta: dict, finish: str | None = None, **more) -> str:
        body = {"id": cid, "object": "chat.completion.chunk", "created": created,
                "model": MODEL, "choices": [{"index": 0, "delta": delta,
                                             "finish_reason": finish}], **more}
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    sent, last = "", first
    for ans in itertools.chain((first,), rest):
        last = ans
        if ans.text.startswith(sent):
            new, sent = ans.text[len(sent):], ans.text
        else:  # the LLM's answer gave way to the extractive one: start a new paragraph
            new, sent = "\n\n" + ans.text, ans.text
        words = new.split(" ")
        for i in range(0, len(words), 4):  # a few words per event, as chat UIs expect
            piece = " ".join(words[i:i + 4]) + (" " if i + 4 < len(words) else "")
            if piece:
                yield chunk({"content": piece})
    yield chunk({"content": sources_text(last)}, **extra(last))
    yield chunk({}, "stop")
    if count is not None:  # OpenAI's usage chunk: no choices
        body = {"id": cid, "object": "chat.completion.chunk", "created": created,
                "model": MODEL, "choices": [], "usage": count(sent + sources_text(last))}
        yield f"data: {json.dumps(body)}\n\n"
    yield "data: [DONE]\n\n"
