"""The page's callbacks: what each button and box does, per browser session.

A thin layer over the Assistant: answers, filters and indexing are the engine's; the HTML is
``render``'s; follow-ups, feedback and export are ``conversation``'s; the components and their
wiring are ``layout``'s. Each browser tab has its own conversation and filters (``gr.State``
and component values are per session). Work that touches the store (questions, re-indexing,
evaluation) takes one lock, so a question asked during a re-index waits for it instead of
failing.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import tempfile
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.engine.checks import check_question
from assistant.engine.conversation import (
    FEEDBACK_FILE,
    Turn,
    append_jsonl,
    conversation_json,
    conversation_markdown,
    feedback_record,
)
from assistant.engine.phrases import say
from assistant.engine.retrieval import Filters
from assistant.engine.service import Assistant
from corpus import AssistantError, UsageError
from corpus.citations import marker_numbers
from corpus.dates import check_date
from corpus.formats import SUFFIXES
from corpus.jsonl import write_atomic
from corpus.lang import detect_lang

from .examples import MAX_EXAMPLES, example_questions, overview_html, sources_hint
from .render import (
    LANG_NAMES,
    answer_html,
    corpus_html,
    error_html,
    index_status,
    sources_html,
)

UPLOAD_FOLDER = "uploads"
STREAM_WORDS = 3  # words per streamed update
SKIP2 = (gr.skip(), gr.skip())  # the download buttons, unchanged until the answer is done


class Page:
    """Callbacks of one app; Gradio calls them per session with that session's values."""

    def __init__(self, app: Assistant, lock: threading.Lock | None = None):
        self.app = app
        # questions (the page's and the HTTP API's), re-indexing and evaluation take turns
        self.lock = lock or threading.Lock()
        self.indexing = threading.Lock()  # one re-index from the page at a time
        self.feedback_path = Path(app.config.store) / FEEDBACK_FILE
        self.exports = Path(tempfile.mkdtemp(prefix="conversations-"))

    # -- lookups for rendering -------------------------------------------------------------
    def chunk(self, chunk_id: str) -> tuple[int, int] | None:
        c = self.app.retriever.chunk(chunk_id)
        return (c.start, c.end) if c else None

    def sources(self, turns: list[Turn], upto: int | None = None) -> str:
        return sources_html(turns, self.app.article, self.chunk, upto)

    # -- filters ---------------------------------------------------------------------------
    def filters(self, langs: list[str] | None, since: str, until: str,
                sources: list[str] | None) -> tuple[Filters, str]:
        """The retrieval filters and their one-line description (raises UsageError)."""
        since, until = _date_or_none(since, "From"), _date_or_none(until, "To")
        if since and until and since > until:
            raise UsageError(f"the date range {since} to {until} is empty: put the earlier "
                             "date in From.")
        langs = [lang for lang in (langs or []) if lang]
        sources = list(sources or [])
        flt = Filters(tuple(langs), since, until, self.app.source_filter(sources),
                      tuple(sources))
        return flt, flt.describe()

    def filter_choices(self, cat: list[dict]) -> tuple[list[tuple[str, str]], list[str]]:
        langs = Counter(a["lang"] or "?" for a in cat)
        lang_choices = [(f"{LANG_NAMES.get(code, code)} ({n})", code)
                        for code, n in sorted(langs.items()) if code != "?"]
        return lang_choices, self.app.source_options(cat)

    # -- chat ------------------------------------------------------------------------------
    def history(self, turns: list[Turn], last: str | None = None,
                done: bool = True) -> list[dict[str, str]]:
        msgs = []
        for t, turn in enumerate(turns):
            partial = last if t == len(turns) - 1 else None
            msgs.append(_question(turn.question))
            msgs.append({"role": "assistant", "content": answer_html(
                turn, t, partial, done or t < len(turns) - 1)})
        return msgs

    def respond(self, message: str, turns: list[Turn] | None, langs, since, until, sources):
        """Stream one answer: the question at once, then the answer a few words per update
        (sent as fast as they render), each source appearing with its first marker."""
        turns = list(turns or [])
        try:
            message = check_question(message)
            flt, shown = self.filters(langs, since, until, sources)
        except AssistantError as exc:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), error_html(exc), *SKIP2
            return
        lang = detect_lang(message)  # the waiting line in the question's language too
        waiting = not self.lock.acquire(blocking=False)
        pending = self.history(turns) + [_question(message), {
            "role": "assistant",
            "content": f'<div class="pending">{say("busy" if waiting else "searching", lang)}'
                       "</div>"}]
        try:
            yield pending, gr.skip(), "", turns, "", *SKIP2
        except GeneratorExit:  # the browser left before retrieval: give the store back
            if not waiting:
                self.lock.release()
            raise
        if waiting:
            self.lock.acquire()
        try:
            history = [t.question for t in turns]
            query = self.app.resolve(message, history)
            answers = self.app.ask_stream(message, filters=flt, history=history)
            ans = next(answers)  # retrieval done: the store is free for others
        except AssistantError as exc:
            yield self.history(turns), gr.skip(), message, turns, error_html(exc), *SKIP2
            return
        finally:
            self.lock.release()
        turns = turns + [Turn(message, query, ans, shown)]
        if ans.mode == "llm":  # each verified sentence as it comes, with its sources
            for ans in answers:
                yield (self.history(turns, done=False), self.sources(turns), gr.skip(), turns,
                       "", *SKIP2)
                turns[-1] = Turn(message, query, ans, shown)
        elif ans.answerable:  # in pieces as they render (no pause), sources with markers
            words = re.findall(r"\S+\s*", ans.text)
            for i in range(STREAM_WORDS, len(words), STREAM_WORDS):
                prefix = "".join(words[:i])
                yield (self.history(turns, prefix, done=False),
                       self.sources(turns, max(marker_numbers(prefix) or [0])), gr.skip(), turns,
                       "", *SKIP2)
        # the box was emptied by the first update: what the user types meanwhile stays
        yield (self.history(turns), self.sources(turns), gr.skip(), turns, "",
               *self.downloads(turns))

    def like(self, turns: list[Turn] | None, comment: str, data: gr.LikeData
             ) -> tuple[str, str]:
        turns = list(turns or [])
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        t = int(index) // 2
        if not (0 <= t < len(turns)) or data.liked not in (True, False):
            return "Rating removed from the page (lines already saved stay in the file).", comment
        rating = "up" if data.liked else "down"
        append_jsonl(self.feedback_path, feedback_record(turns[t], rating, comment or ""))
        note = " with your comment" if (comment or "").strip() else ""
        return (f"Thanks: thumbs {rating} on answer {t + 1}{note} saved to the store's "
                f"`{FEEDBACK_FILE}` (`python -m assistant feedback` turns it into a test set)"
                ".", "")

    def export(self, turns: list[Turn]) -> tuple[Path, Path]:
        """The conversation as Markdown and as JSON (answers with their citations), rewritten
        after every answer so each download button holds the whole conversation."""
        stem = f"conversation-{dt.date.today():%Y-%m-%d}-{turns[0].id}"
        md = write_atomic(self.exports / f"{stem}.md", conversation_markdown(turns))
        js = write_atomic(self.exports / f"{stem}.json", json.dumps(
            conversation_json(turns), ensure_ascii=False, indent=1))
        return md, js

    def downloads(self, turns: list[Turn]):
        """The two download buttons: ready with the conversation, or off when it is empty."""
        if not turns:
            return (gr.update(value=None, interactive=False),
                    gr.update(value=None, interactive=False))
        md, js = self.export(turns)
        return (gr.update(value=str(md), interactive=True),
                gr.update(value=str(js), interactive=True))

    # -- corpus tab --------------------------------------------------------------------------
    def corpus_summary(self, cat: list[dict]) -> tuple[str, list[list[Any]]]:
        gen = self.app.store.generation()
        when = (dt.datetime.fromtimestamp(float(gen)).strftime("%Y-%m-%d %H:%M:%S")
                if gen else "unknown")
        table = [[a["id"], a["title"], a["lang"], a["date"], a.get("site") or "", a["source"],
                  a["n_chunks"]] for a in cat]
        return corpus_html(cat, when, str(self.app.config.corpus),
                           str(self.app.config.store)), table

    def reindex(self, progress) -> str:
        def report(step) -> None:
            progress((step.done, max(step.total, 1)), desc=f"indexing ({step.figures()})",
                     unit="files")

        if self.app.store.remote:  # a reader of a server store never writes to it
            return (f"⚠️ This page reads the Chroma server at {html.escape(str(self.app.store))}"
                    ": index it where the corpus is (python -m assistant index --store URL).")
        progress(0, desc="waiting for the index" if self.indexing.locked() else "starting")
        with self.indexing:  # questions go on meanwhile, from the published generation
            try:
                r = self.app.index(progress=report, reopen=False)
            except AssistantError as exc:
                return f"⚠️ Re-indexing failed: {html.escape(str(exc))}"
        return index_status(r)

    def upload(self, files: list[str] | None) -> tuple[str, bool]:
        """Copy uploaded article files into the corpus (``uploads/``), never overwriting a
        different file; each file is written whole or not at all."""
        if not files:
            raise UsageError("no file chosen: pick one or more article files to upload.")
        if self.app.store.remote:
            raise UsageError("this page reads a Chroma server store: add articles to the "
                             "corpus where it is indexed.")
        target = Path(self.app.config.corpus) / UPLOAD_FOLDER
        added, notes = [], []
        for f in files:
            src = Path(f)
            name = src.name
            if src.suffix.lower() not in SUFFIXES:
                notes.append(f"{name}: not an article file (use {', '.join(SUFFIXES)})")
                continue
            dest = target / name
            data = src.read_bytes()
            if dest.exists():
                notes.append(f"{name}: already in the corpus" if dest.read_bytes() == data else
                             f"{name}: a different file of that name is already in "
                             f"{UPLOAD_FOLDER}/; rename it and upload again")
                continue
            target.mkdir(parents=True, exist_ok=True)
            tmp = target / f".{name}.part"
            tmp.write_bytes(data)
            os.replace(tmp, dest)
            added.append(name)
        msg = (f"Added {len(added)} file(s) to {UPLOAD_FOLDER}/: "
               f"{html.escape(', '.join(added))}."
               if added else "No file added.")
        return msg + "".join(f"<br>⚠️ {html.escape(n)}" for n in notes), bool(added)

    # -- evaluation tab ------------------------------------------------------------------
    def evaluate(self, which: str, uploaded, progress) -> tuple[str, list[list]]:
        """The report of the command (``assistant eval``), from the same code: the verdict
        line, failures first with their reasons, the glossary; and one row per question."""
        from eval.gate import BASELINE
        from eval.testset import SEED

        from ..evaluate import evaluate, page_result

        if which != "shipped" and not uploaded:
            raise UsageError("no test set uploaded: choose a .jsonl file in the test-set "
                             "format, or pick the shipped test set.")
        path = SEED if which == "shipped" else Path(uploaded)

        def locked(fn):
            def call(*args, **kw):
                with self.lock:
                    return fn(*args, **kw)
            return call

        progress(0, desc="evaluating")
        ev = evaluate(self.app, path, baseline=BASELINE if which == "shipped" else None,
                      guard=locked)
        return page_result(ev)

    # -- the events, as the layout wires them --------------------------------------------
    LOADED = 5 + MAX_EXAMPLES  # the components ``on_load`` fills

    def on_load(self):
        """What is indexed, example questions, filter choices and the corpus tab, fresh for
        each visit (``LOADED`` values)."""
        cat = self.app.catalogue()  # read once: every part below is made from it
        lang_choices, source_choices = self.filter_choices(cat)
        summary, table = self.corpus_summary(cat)
        examples = example_questions(cat)
        buttons = [gr.update(value=q, visible=True) if q else gr.update(visible=False)
                   for q in (examples + [""] * MAX_EXAMPLES)[:MAX_EXAMPLES]]
        return (gr.update(choices=lang_choices),
                gr.update(choices=source_choices, interactive=bool(source_choices),
                          info=sources_hint(source_choices)),
                summary, table, overview_html(cat), *buttons)

    def cleared(self):
        return [], self.sources([]), "", [], "", *self.downloads([])

    def reindex_clicked(self, progress=gr.Progress()):  # noqa: B008 - Gradio's progress idiom
        return (self.reindex(progress), *self.on_load())

    def upload_clicked(self, files, progress=gr.Progress()):  # noqa: B008
        try:
            msg, added = self.upload(files)
        except AssistantError as exc:
            return (error_html(exc), *[gr.skip()] * self.LOADED)
        if not added:
            return (msg, *[gr.skip()] * self.LOADED)
        return (f"{msg}<br>{self.reindex(progress)}", *self.on_load())

    def evaluate_clicked(self, which, uploaded,
                         progress=gr.Progress(track_tqdm=True)):  # noqa: B008
        try:
            return (*self.evaluate(which, uploaded, progress), "")
        except AssistantError as exc:
            return gr.skip(), gr.skip(), error_html(exc)

    def ask_api(self, question: str) -> dict[str, Any]:
        """The plain JSON endpoint for scripts: the `ask --json` object."""
        with self.lock:
            return self.app.ask(question).to_dict()


def _question(text: str) -> dict[str, str]:
    return {"role": "user", "content": f'<div class="question">{html.escape(text)}</div>'}


def _date_or_none(value: str | None, label: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return check_date(value)
    except ValueError as exc:
        raise UsageError(f"{label}: {exc}, e.g. 2025-12-01.") from None


