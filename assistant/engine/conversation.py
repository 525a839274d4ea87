"""What the chat page keeps per conversation: follow-up questions, feedback, export.

Pure logic (no Gradio): feedback becomes a line in the test-set format of ``eval`` (a
reviewer can copy it into a test set); a conversation exports as Markdown with its sources.
Follow-up questions are ``followup``'s.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from corpus.citations import strip_markers

from .model import Answer
from .phrases import say

FEEDBACK_FILE = "feedback.jsonl"  # in the store folder: one line per rating


@dataclass
class Turn:
    """One question and its answer, as shown in the chat."""

    question: str  # as typed
    query: str  # as retrieved (with the previous question for a follow-up)
    answer: Answer
    filters: str  # the active filters, as shown ("" when none)
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])


def feedback_record(turn: Turn, rating: str, comment: str = "") -> dict:
    """One rating as a line of ``feedback.jsonl``. Rated up, an item in the test-set format of
    ``eval`` as it stands (id, question, lang, answerable, expected_docs = the cited
    articles, reference = its text). Rated down, no test-set fields at all: the question,
    ``needs_review: true`` and, under ``feedback.rejected``, the answer and its citations,
    which must never pass for the expected ones (``eval`` refuses such items until a
    reviewer says what answers the question)."""
    ans = turn.answer
    docs = list(dict.fromkeys(c.article_id for c in ans.citations))
    shown = {"answer": ans.text,
             "citations": [{"n": c.n, "doc_id": c.article_id, "quote": c.quote,
                            "start": c.start, "end": c.end} for c in ans.citations]}
    rec: dict = {"id": f"feedback-{turn.id}", "question": turn.query, "lang": ans.lang or "und"}
    if rating == "up":
        rec |= {"answerable": bool(ans.answerable and docs), "expected_docs": docs}
        if ans.answerable and docs:
            rec["reference"] = strip_markers(ans.text)
    else:
        rec["needs_review"] = True
    rec["feedback"] = {"rating": rating, "comment": comment.strip(), "asked_as": turn.question,
                       "filters": turn.filters,
                       **(shown if rating == "up" else {"rejected": shown}),
                       "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    return rec


def append_jsonl(path: str | Path, record: dict) -> None:
    """Append one line, whole or not at all: one write under an exclusive lock, flushed to
    disk (several tabs or servers may write the same file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def conversation_markdown(turns: list[Turn]) -> str:
    """The conversation with each answer's sources and quotes, for sharing or filing; the
    words around each answer in its question's language (the title in the first's)."""
    first = turns[0].answer.lang if turns else None
    out = [f"# {say('conversation', first)}", ""]
    for i, t in enumerate(turns, 1):
        lang = t.answer.lang
        out += [f"## {i}. {t.question}", ""]
        if t.query != t.question:
            out += [f"*{say('followup', lang)} {t.query}*", ""]
        if t.filters:
            out += [f"*{say('filters', lang)}: {t.filters}*", ""]
        if t.answer.answerable:
            out += [t.answer.text, "", f"{say('sources', lang)}:", ""]
            for c in t.answer.citations:
                meta = ", ".join(x for x in (c.date, c.lang, c.source) if x)
                out += [f"{c.n}. **{c.title}** ({meta}), `{c.article_id}` "
                        f"{say('chars', lang, start=c.start, end=c.end)}:", f"   > {c.quote}"]
        else:  # the refusal says why, once, in the question's language
            out += [f"**{t.answer.text}**", ""]
            if t.answer.closest:
                out += [say("closest_head", lang), ""]
                for h in t.answer.closest:
                    out += [f"- **{h.chunk.title}** ({h.chunk.date or say('undated', lang)}, "
                            f"{h.chunk.lang or '?'}): {h.chunk.text[:300]}"]
        if t.answer.notice:
            out += ["", f"*{t.answer.notice}*"]
        out.append("")
    return "\n".join(out)


def conversation_json(turns: list[Turn]) -> dict:
    """The conversation as data: each question with its answer in the `ask --json` shape
    (text with [n] markers, every citation with its exact quote and offsets)."""
    return {"exported": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "turns": [{"question": t.question, "asked_as": t.query, "filters": t.filters,
                       **{k: v for k, v in t.answer.to_dict().items() if k != "question"}}
                      for t in turns]}
