"""The page's layout: three tabs of components, wired to the callbacks of ``Page``.

Chat (cited answers, sources, filters, follow-ups, feedback), Corpus (what is indexed,
re-index, upload) and Evaluation (run a test set, see the metrics). Nothing here decides
anything: what a click does is in ``callbacks``, the HTML in ``render``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from assistant.engine.service import Assistant
from corpus import AssistantError
from corpus.formats import SUFFIXES
from eval.explain import QUESTION_HEADERS

from .callbacks import UPLOAD_FOLDER, Page
from .examples import MAX_EXAMPLES, page_title

HERE = Path(__file__).resolve().parent
TITLE = "## News assistant"


def _filters() -> SimpleNamespace:
    with gr.Accordion("Filters (applied to retrieval)", open=False, elem_id="filters"):
        langs = gr.CheckboxGroup(label="Source languages (none = all)", choices=[],
                                 elem_id="filter-langs")
        with gr.Row():
            since = gr.Textbox(label="From (YYYY-MM-DD)", elem_id="since", min_width=120)
            until = gr.Textbox(label="To (YYYY-MM-DD)", elem_id="until", min_width=120)
        sources = gr.Dropdown(label="Sources or corpus folders (none = all)", choices=[],
                              multiselect=True, elem_id="filter-sources",
                              info="A site, or a folder of the corpus (ends with /).")
    return SimpleNamespace(langs=langs, since=since, until=until, sources=sources)


def _chat_tab(page: Page) -> SimpleNamespace:
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            with gr.Row(elem_id="examples"):
                examples = [gr.Button("", size="sm", visible=False, min_width=120,
                                      elem_classes="example") for _ in range(MAX_EXAMPLES)]
            f = _filters()
            # autoscroll off: page.js shows each new answer's first line instead
            chat = gr.Chatbot(label="Conversation", height=460, elem_id="chat",
                              sanitize_html=True, buttons=["copy"], autoscroll=False,
                              feedback_options=("Like", "Dislike"),
                              placeholder="Ask a question below, or click an example above; "
                                          "answers cite their sources as [1], [2] …")
            box = gr.Textbox(label="Question", elem_id="question", lines=1,
                             placeholder="Who is the Secretary-General of the Organization of "
                                         "Turkic States?")
            with gr.Row():
                send = gr.Button("Ask", variant="primary", elem_id="ask", min_width=60)
                clear = gr.Button("Clear", elem_id="clear", min_width=60)
            with gr.Row():
                md = gr.DownloadButton("Download .md", elem_id="export-md", min_width=60,
                                       size="sm", interactive=False)
                js = gr.DownloadButton("Download .json", elem_id="export-json", min_width=60,
                                       size="sm", interactive=False)
            status = gr.Markdown(elem_id="status")
            comment = gr.Textbox(label="Comment (optional): type it, then rate an answer with "
                                 "its thumbs up or down", elem_id="comment", lines=1)
        with gr.Column(scale=2, min_width=300):
            sources = gr.HTML(page.sources([]), elem_id="sources")
    return SimpleNamespace(filters=f, examples=examples, chat=chat, box=box, send=send,
                           clear=clear, md=md, json=js, status=status, comment=comment,
                           sources=sources)


def _corpus_tab() -> SimpleNamespace:
    summary = gr.HTML(elem_id="corpus-summary")
    with gr.Row():
        reindex = gr.Button("Re-index the corpus", elem_id="reindex", variant="primary")
    status = gr.Markdown(elem_id="corpus-status")
    files = gr.File(label=f"Upload articles ({', '.join(SUFFIXES)}); they go to "
                    f"{UPLOAD_FOLDER}/ in the corpus and are indexed at once",
                    file_count="multiple", file_types=list(SUFFIXES), elem_id="upload")
    upload = gr.Button("Add to the corpus and index", elem_id="upload-btn")
    # fits 1280 px: titles wrap in the widest column, the rest narrow (page.css); on a
    # phone the table keeps a readable width and scrolls sideways, with a visible bar
    articles = gr.Dataframe(headers=["id", "title", "lang", "date", "site", "source",
                                     "chunks"], interactive=False, wrap=True,
                            column_widths=["17%", "35%", "6%", "11%", "10%", "14%", "7%"],
                            elem_id="articles")
    return SimpleNamespace(summary=summary, reindex=reindex, status=status, files=files,
                           upload=upload, articles=articles)


def _eval_tab() -> SimpleNamespace:
    gr.Markdown("Runs a test set through the assistant on this index and scores every answer "
                "(the metrics of `python -m assistant eval`).")
    which = gr.Radio([("Shipped test set (seed_qa.jsonl)", "shipped"),
                      ("Uploaded test set", "uploaded")], value="shipped", label="Test set",
                     elem_id="eval-which")
    testset = gr.File(label="Test set (.jsonl)", file_types=[".jsonl"], type="filepath",
                      elem_id="eval-upload", visible=False)  # shown for "Uploaded"
    run = gr.Button("Run evaluation", variant="primary", elem_id="eval-run")
    status = gr.Markdown(elem_id="eval-status")
    headline = gr.HTML(elem_id="eval-headline")
    with gr.Accordion("Every question (sortable table)", open=False):
        results = gr.Dataframe(headers=QUESTION_HEADERS, interactive=False, wrap=True,
                               elem_id="eval-results")
    return SimpleNamespace(which=which, testset=testset, run=run, status=status,
                           headline=headline, results=results)


def _wire(demo, page: Page, turns, overview, chat: SimpleNamespace, corpus: SimpleNamespace,
          ev: SimpleNamespace) -> None:
    """Events to callbacks. Questions run up to 8 at once (the store lock orders them);
    indexing and evaluation one at a time. A question sent while this tab's answer still
    streams is asked when it ends (Gradio's default, "once", would drop the click)."""
    f = chat.filters
    ask_in = [chat.box, turns, f.langs, f.since, f.until, f.sources]
    ask_out = [chat.chat, chat.sources, chat.box, turns, chat.status, chat.md, chat.json]
    gr.on([chat.send.click, chat.box.submit], page.respond, ask_in, ask_out,
          api_visibility="private", concurrency_limit=8, concurrency_id="ask",
          trigger_mode="always_last")  # one event for both: one pending state
    for ex in chat.examples:  # an example runs as if typed
        ex.click(page.respond, [ex, *ask_in[1:]], ask_out, api_visibility="private",
                 concurrency_limit=8, concurrency_id="ask", trigger_mode="always_last")
    clear_out = [chat.chat, chat.sources, chat.box, turns, chat.status, chat.md, chat.json]
    chat.clear.click(page.cleared, None, clear_out, api_visibility="private")
    chat.chat.clear(page.cleared, None, clear_out, api_visibility="private")
    chat.chat.like(page.like, [turns, chat.comment], [chat.status, chat.comment],
                   api_visibility="private")
    loaded = [f.langs, f.sources, corpus.summary, corpus.articles, overview, *chat.examples]
    demo.load(page.on_load, None, loaded, api_visibility="private")
    corpus.reindex.click(page.reindex_clicked, None, [corpus.status, *loaded],
                         api_visibility="private", concurrency_limit=1, concurrency_id="index")
    corpus.upload.click(page.upload_clicked, corpus.files, [corpus.status, *loaded],
                        api_visibility="private", concurrency_limit=1, concurrency_id="index")
    ev.which.change(lambda which: gr.update(visible=which == "uploaded"), ev.which, ev.testset,
                    api_visibility="private")
    ev.run.click(page.evaluate_clicked, [ev.which, ev.testset],
                 [ev.headline, ev.results, ev.status], api_visibility="private",
                 concurrency_limit=1)
    # A plain JSON endpoint for scripts (gradio_client), same shape as `ask --json`.
    api_in, api_out = gr.Textbox(visible=False), gr.JSON(visible=False)
    api_in.submit(page.ask_api, api_in, api_out, api_name="ask", concurrency_limit=1)


def build_app(app: Assistant, lock: threading.Lock | None = None) -> gr.Blocks:
    page = Page(app, lock)
    try:
        title = page_title(app.catalogue())[0]
    except AssistantError:
        title = "News assistant"
    with gr.Blocks(title=title) as demo:
        turns = gr.State([])
        gr.Markdown(TITLE, elem_id="title")
        overview = gr.HTML(elem_id="overview")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat-tab"):
                chat = _chat_tab(page)
            with gr.Tab("Corpus", id="corpus-tab"):
                corpus = _corpus_tab()
            with gr.Tab("Evaluation", id="eval-tab"):
                ev = _eval_tab()
        _wire(demo, page, turns, overview, chat, corpus, ev)
    return demo


def page_assets() -> dict[str, str]:
    """The page's CSS and script, for Gradio's launch or mount."""
    return {"css": (HERE / "page.css").read_text(encoding="utf-8"),
            "head": f"<script>\n{(HERE / 'page.js').read_text(encoding='utf-8')}</script>"}
