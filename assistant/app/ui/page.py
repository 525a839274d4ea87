"""The Gradio page: Chat (cited answers, sources, filters, follow-ups, feedback), Corpus
(what is indexed, re-index, upload) and Evaluation (run a test set, see the report).

A thin layer over the Assistant: answers, filters and indexing are the service's; the HTML is
``render``'s; follow-ups, feedback and export are ``conversation``'s. Each browser tab has its
own conversation and filters (``gr.State`` and component values are per session). Work that
touches the store (questions, re-indexing, evaluation) takes one lock, so a question asked
during a re-index waits for it instead of failing.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.engine.conversation import (
    Turn,
    append_jsonl,
    contextual_question,
    conversation_markdown,
    feedback_record,
)
from assistant.engine.retrieval import Filters
from assistant.engine.service import Assistant, check_question
from corpus import AssistantError, UsageError
from corpus.formats import SUFFIXES

from .render import CSS, LANG_NAMES, PAGE_JS, answer_html, sources_html

FEEDBACK_FILE = "feedback.jsonl"
UPLOAD_FOLDER = "uploads"
STREAM_WORDS = 3  # words per streamed update
STREAM_PAUSE = 0.025  # seconds between updates, so the answer reads as it arrives


class Page:
    """Callbacks of one app; Gradio calls them per session with that session's values."""

    def __init__(self, app: Assistant):
        self.app = app
        self.lock = threading.Lock()  # questions, re-indexing and evaluation take turns
        self.feedback_path = Path(app.config.store) / FEEDBACK_FILE

    # -- lookups for rendering -------------------------------------------------------------
    def chunk(self, chunk_id: str) -> tuple[int, int] | None:
        c = self.app.retriever.by_id.get(chunk_id)
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
        articles = self.app.source_filter(list(sources or []))
        shown = []
        if langs:
            shown.append("languages " + ", ".join(langs))
        if since or until:
            shown.append(f"dates {since or '…'} to {until or '…'}")
        if sources:
            shown.append("sources " + ", ".join(sources))
        return Filters(tuple(langs), since, until, articles), "; ".join(shown)

    def filter_choices(self) -> tuple[list[tuple[str, str]], list[str]]:
        cat = self.app.catalogue()
        langs = Counter(a["lang"] or "?" for a in cat)
        lang_choices = [(f"{LANG_NAMES.get(code, code)} ({n})", code)
                        for code, n in sorted(langs.items()) if code != "?"]
        return lang_choices, self.app.source_options()

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
        """Stream one answer: the question at once, then the answer a few words at a time,
        each source appearing with its first marker."""
        turns = list(turns or [])
        try:
            message = check_question(message)
            flt, shown = self.filters(langs, since, until, sources)
        except AssistantError as exc:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), f"⚠️ {html.escape(str(exc))}"
            return
        pending = self.history(turns) + [
            _question(message),
            {"role": "assistant", "content": '<div class="pending">Searching the corpus…</div>'}]
        waiting = not self.lock.acquire(blocking=False)
        if waiting:
            pending[-1]["content"] = ('<div class="pending">The index is busy (re-indexing or '
                                      "evaluating); your question is next…</div>")
        yield pending, gr.skip(), "", turns, ""
        if waiting:
            self.lock.acquire()
        try:
            query = contextual_question(message, [t.question for t in turns])
            ans = self.app.ask(query, filters=flt)
        except AssistantError as exc:
            yield self.history(turns), gr.skip(), message, turns, f"⚠️ {html.escape(str(exc))}"
            return
        finally:
            self.lock.release()
        turn = Turn(message, query, ans, shown)
        turns = turns + [turn]
        words = re.findall(r"\S+\s*", ans.text) or [ans.text]
        if not ans.answerable:  # a refusal is shown whole, with its closest passages
            words = ["".join(words)]
        for i in range(STREAM_WORDS, len(words), STREAM_WORDS):
            prefix = "".join(words[:i])
            seen = [int(n) for n in re.findall(r"\[(\d+)\]", prefix)]
            yield (self.history(turns, prefix, done=False), self.sources(turns, max(seen or [0])),
                   "", turns, "")
            time.sleep(STREAM_PAUSE)
        yield self.history(turns), self.sources(turns), "", turns, ""

    def like(self, turns: list[Turn] | None, comment: str, data) -> tuple[str, str]:
        turns = list(turns or [])
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        t = int(index) // 2
        if not (0 <= t < len(turns)) or data.liked not in (True, False):
            return "Rating removed from the page (lines already saved stay in the file).", comment
        rating = "up" if data.liked else "down"
        append_jsonl(self.feedback_path, feedback_record(turns[t], rating, comment or ""))
        note = " with your comment" if (comment or "").strip() else ""
        return (f"Thanks: thumbs {rating} on answer {t + 1}{note} saved to "
                f"`{html.escape(str(self.feedback_path))}`.", "")

    def export(self, turns: list[Turn] | None):
        if not turns:
            return gr.update(visible=False), "Nothing to export yet: ask a question first."
        folder = Path(tempfile.mkdtemp(prefix="conversation-"))
        path = folder / f"conversation-{dt.datetime.now():%Y%m%d-%H%M%S}.md"
        path.write_text(conversation_markdown(turns), encoding="utf-8")
        return gr.update(value=str(path), visible=True), f"Exported {len(turns)} question(s)."

    # -- corpus tab --------------------------------------------------------------------------
    def corpus_summary(self) -> tuple[str, list[list[Any]]]:
        cat = self.app.catalogue()
        if not cat:
            return "<p>Nothing is indexed yet: press Re-index.</p>", []
        chunks = sum(a["n_chunks"] or 0 for a in cat)
        gen = self.app.store.generation()
        when = (dt.datetime.fromtimestamp(float(gen)).strftime("%Y-%m-%d %H:%M:%S")
                if gen else "unknown")
        by_lang = Counter(a["lang"] or "?" for a in cat)
        by_month = Counter((a["date"] or "undated")[:7] for a in cat)
        rows = "".join(f"<tr><td style='text-align:left'>{html.escape(LANG_NAMES.get(k, k))} "
                       f"({html.escape(k)})</td><td>{v}</td></tr>"
                       for k, v in sorted(by_lang.items()))
        months = "".join(f"<tr><td style='text-align:left'>{html.escape(k)}</td><td>{v}</td></tr>"
                         for k, v in sorted(by_month.items()))
        summary = (
            f"<p><b>{len(cat)}</b> articles, <b>{chunks}</b> chunks; last indexed "
            f"<b>{when}</b>.<br>Corpus folder <code>{html.escape(str(self.app.config.corpus))}"
            f"</code>, store <code>{html.escape(str(self.app.config.store))}</code>.</p>"
            f"<div style='display:flex;gap:24px;flex-wrap:wrap'>"
            f"<table><tr><th>language</th><th>articles</th></tr>{rows}</table>"
            f"<table><tr><th>month</th><th>articles</th></tr>{months}</table></div>")
        table = [[a["id"], a["title"], a["lang"], a["date"], a.get("site") or "", a["source"],
                  a["n_chunks"]] for a in cat]
        return summary, table

    def reindex(self, progress) -> str:
        def report(done: int, total: int, what: str) -> None:
            progress((done, max(total, 1)), desc=what, unit="files")

        progress(0, desc="waiting for the index" if self.lock.locked() else "starting")
        with self.lock:
            try:
                r = self.app.index(progress=report)
            except AssistantError as exc:
                return f"⚠️ Re-indexing failed: {html.escape(str(exc))}"
        skipped = "".join(f"<br>skipped {html.escape(s.source)}: {html.escape(s.reason)}"
                          for s in r.skipped_files)
        return (f"Indexed {r.articles} articles ({r.added} added, {r.updated} updated, "
                f"{r.removed} removed, {r.unchanged} unchanged), {r.chunks} chunks in "
                f"{r.seconds:.1f} s.{skipped}")

    def upload(self, files: list[str] | None) -> tuple[str, bool]:
        """Copy uploaded article files into the corpus (``uploads/``), never overwriting a
        different file; each file is written whole or not at all."""
        if not files:
            raise UsageError("no file chosen: pick one or more article files to upload.")
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
        msg = (f"Added {len(added)} file(s) to {UPLOAD_FOLDER}/: {', '.join(added)}."
               if added else "No file added.")
        return msg + "".join(f"<br>⚠️ {html.escape(n)}" for n in notes), bool(added)

    # -- evaluation tab ------------------------------------------------------------------
    def evaluate(self, which: str, uploaded, progress):
        from eval.cli import SEED, TABLE_COLUMNS, cell, run_on
        from eval.runner import by_language, summarize
        from eval.testset import load_testset

        path = SEED
        if which != "shipped":
            if not uploaded:
                raise UsageError("no test set uploaded: choose a .jsonl file in the test-set "
                                 "format, or pick the shipped test set.")
            path = Path(uploaded)
        items = load_testset(path)
        known = {a["id"] for a in self.app.catalogue()}
        missing = {d for it in items for d in it.expected_docs} - known

        def locked(fn):
            def call(q):
                with self.lock:
                    return fn(q)
            return call

        progress(0, desc="evaluating")
        records = run_on(self.app, items, guard=locked)
        summary, per_lang = summarize(records), by_language(records)
        scopes = [("all", summary), *per_lang.items()]
        head = "".join(f"<th>{html.escape(s)}</th>" for s, _ in scopes)
        body = "".join(
            f"<tr><th style='text-align:left'>{c}</th>"
            + "".join(f"<td>{cell(s.get(c), c)}</td>" for _, s in scopes) + "</tr>"
            for c in TABLE_COLUMNS)
        warn = (f"<p>⚠️ {len(missing)} expected article id(s) are not in this index (e.g. "
                f"{html.escape(sorted(missing)[0])}): this test set was written for another "
                "corpus.</p>" if missing else "")
        report = (f"<p>Test set <code>{html.escape(Path(path).name)}</code>: "
                  f"{summary['questions']} questions, passed {cell(summary['passed'], 'p')}."
                  f"</p>{warn}<table><tr><th>metric</th>{head}</tr>{body}</table>")
        rows = [[r.item.id, r.item.lang, r.item.question, "yes" if r.passed else "no",
                 "refused" if r.scores["refused"] else "answered",
                 cell(r.scores.get("hit@5"), "hit"), cell(r.scores.get("citation_recall"), "r"),
                 round(r.latency_ms), r.answer["answer"][:300]] for r in records]
        return report, rows


def _question(text: str) -> dict[str, str]:
    return {"role": "user", "content": f'<div class="question">{html.escape(text)}</div>'}


def _date_or_none(value: str | None, label: str) -> str | None:
    from assistant.app.cli import check_date

    value = (value or "").strip()
    if not value:
        return None
    try:
        return check_date(value)
    except ValueError as exc:
        raise UsageError(f"{label}: {exc}, e.g. 2025-12-01.") from None


def build_app(app: Assistant):
    page = Page(app)

    def respond(message, turns, langs, since, until, sources):
        yield from page.respond(message, turns, langs, since, until, sources)

    def like(turns, comment, data: gr.LikeData):
        return page.like(turns, comment, data)

    def on_load():
        lang_choices, source_choices = page.filter_choices()
        summary, table = page.corpus_summary()
        return (gr.update(choices=lang_choices), gr.update(choices=source_choices), summary,
                table)

    def reindex(progress=gr.Progress()):  # noqa: B008 - Gradio's progress idiom
        status = page.reindex(progress)
        return (status, *on_load())

    def upload(files, progress=gr.Progress()):  # noqa: B008
        try:
            msg, added = page.upload(files)
        except AssistantError as exc:
            return (f"⚠️ {html.escape(str(exc))}", *[gr.skip()] * 4)
        if not added:
            return (msg, *[gr.skip()] * 4)
        status = page.reindex(progress)
        return (f"{msg}<br>{status}", *on_load())

    def evaluate(which, uploaded, progress=gr.Progress(track_tqdm=True)):  # noqa: B008
        try:
            return (*page.evaluate(which, uploaded, progress), "")
        except AssistantError as exc:
            return gr.skip(), gr.skip(), f"⚠️ {html.escape(str(exc))}"

    def ask_api(question: str) -> dict[str, Any]:
        with page.lock:
            return app.ask(question).to_dict()

    with gr.Blocks(title="News assistant") as demo:
        turns = gr.State([])
        gr.Markdown("## News assistant\nAsk about the indexed news in English, Russian, German, "
                    "Turkish or Azerbaijani; every answer quotes the passages it rests on "
                    "(click a [n] or a source to read the whole article).")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat-tab"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=300):
                        with gr.Accordion("Filters (applied to retrieval)", open=False,
                                          elem_id="filters"):
                            langs = gr.CheckboxGroup(label="Source languages (none = all)",
                                                     choices=[], elem_id="filter-langs")
                            with gr.Row():
                                since = gr.Textbox(label="From (YYYY-MM-DD)", elem_id="since",
                                                   min_width=120)
                                until = gr.Textbox(label="To (YYYY-MM-DD)", elem_id="until",
                                                   min_width=120)
                            sources_dd = gr.Dropdown(label="Sources or corpus folders (none = "
                                                     "all)", choices=[], multiselect=True,
                                                     elem_id="filter-sources")
                        chat = gr.Chatbot(label="Conversation", height=460, elem_id="chat",
                                          sanitize_html=True, buttons=["copy"],
                                          feedback_options=("Like", "Dislike"),
                                          placeholder="Ask a question below; answers cite "
                                          "their sources as [1], [2] …")
                        box = gr.Textbox(label="Question", elem_id="question", lines=1,
                                         placeholder="Who is the Secretary-General of the "
                                         "Organization of Turkic States?")
                        with gr.Row():
                            send = gr.Button("Ask", variant="primary", elem_id="ask",
                                             min_width=60)
                            clear = gr.Button("Clear", elem_id="clear", min_width=60)
                            export = gr.Button("Export .md", elem_id="export", min_width=60)
                        status = gr.Markdown(elem_id="status")
                        comment = gr.Textbox(label="Comment (optional): type it, then rate an "
                                             "answer with its thumbs up or down",
                                             elem_id="comment", lines=1)
                        export_file = gr.File(label="Conversation", visible=False,
                                              elem_id="export-file")
                    with gr.Column(scale=2, min_width=300):
                        gr.Markdown("### Sources")
                        sources = gr.HTML(page.sources([]), elem_id="sources")
            with gr.Tab("Corpus", id="corpus-tab"):
                corpus_summary = gr.HTML(elem_id="corpus-summary")
                with gr.Row():
                    reindex_btn = gr.Button("Re-index the corpus", elem_id="reindex",
                                            variant="primary")
                corpus_status = gr.Markdown(elem_id="corpus-status")
                files = gr.File(label=f"Upload articles ({', '.join(SUFFIXES)}); they go to "
                                f"{UPLOAD_FOLDER}/ in the corpus and are indexed at once",
                                file_count="multiple", file_types=list(SUFFIXES),
                                elem_id="upload")
                upload_btn = gr.Button("Add to the corpus and index", elem_id="upload-btn")
                articles = gr.Dataframe(headers=["id", "title", "lang", "date", "site",
                                                 "source", "chunks"], interactive=False,
                                        wrap=True, elem_id="articles")
            with gr.Tab("Evaluation", id="eval-tab"):
                gr.Markdown("Runs a test set through the assistant on this index and scores "
                            "every answer (the metrics of `python -m assistant eval`).")
                which = gr.Radio([("Shipped test set (seed_qa.jsonl)", "shipped"),
                                  ("Uploaded test set", "uploaded")], value="shipped",
                                 label="Test set", elem_id="eval-which")
                testset = gr.File(label="Test set (.jsonl)", file_types=[".jsonl"],
                                  type="filepath", elem_id="eval-upload")
                run_btn = gr.Button("Run evaluation", variant="primary", elem_id="eval-run")
                eval_status = gr.Markdown(elem_id="eval-status")
                headline = gr.HTML(elem_id="eval-headline")
                per_question = gr.Dataframe(
                    headers=["id", "lang", "question", "passed", "outcome", "hit@5",
                             "citation recall", "ms", "answer"],
                    interactive=False, wrap=True, elem_id="eval-results")

        chat_inputs = [box, turns, langs, since, until, sources_dd]
        chat_outputs = [chat, sources, box, turns, status]
        for trigger in (send.click, box.submit):
            trigger(respond, chat_inputs, chat_outputs, api_visibility="private",
                    concurrency_limit=8)
        def cleared():
            return [], page.sources([]), "", [], "", gr.update(visible=False)

        clear_outputs = [chat, sources, box, turns, status, export_file]
        clear.click(cleared, None, clear_outputs, api_visibility="private")
        chat.clear(cleared, None, clear_outputs, api_visibility="private")
        chat.like(like, [turns, comment], [status, comment], api_visibility="private")
        export.click(page.export, turns, [export_file, status], api_visibility="private")
        corpus_outputs = [langs, sources_dd, corpus_summary, articles]
        demo.load(on_load, None, corpus_outputs, api_visibility="private")
        reindex_btn.click(reindex, None, [corpus_status, *corpus_outputs],
                          api_visibility="private", concurrency_limit=1, concurrency_id="index")
        upload_btn.click(upload, files, [corpus_status, *corpus_outputs],
                         api_visibility="private", concurrency_limit=1, concurrency_id="index")
        run_btn.click(evaluate, [which, testset], [headline, per_question, eval_status],
                      api_visibility="private", concurrency_limit=1)
        # A plain JSON endpoint for scripts (gradio_client), same shape as `ask --json`.
        api_in = gr.Textbox(visible=False)
        api_out = gr.JSON(visible=False)
        api_in.submit(ask_api, api_in, api_out, api_name="ask", concurrency_limit=1)
    return demo


def serve(app: Assistant, host: str, port: int,
          credentials: tuple[str, str] | None = None) -> None:
    """Serve the page on an indexed store (the CLI indexes an empty one first). Never
    shared through a public link; a login (``config.parse_auth``) protects it when given."""
    app.ask("warm-up")  # load models and indexes before the first visitor, not during
    demo = build_app(app)
    print(f"serving on http://{host}:{port}" + (" (login required)" if credentials else ""),
          file=sys.stderr, flush=True)
    demo.queue(default_concurrency_limit=1).launch(
        server_name=host, server_port=port, share=False, auth=credentials, show_error=False,
        quiet=True, css=CSS, head=PAGE_JS, footer_links=["api"], max_file_size="50mb",
    )
