"""The Gradio chat page: answers with numbered, checkable sources.

A thin layer: every callback calls the Assistant and formats its Answer; nothing here
decides what an answer is. Article text and questions are HTML-escaped before display.
"""

from __future__ import annotations

import html
import os
import sys
from typing import Any

from .model import Answer
from .service import Assistant

CSS = """
.src {border-left: 3px solid #6b8afd; padding: 4px 10px; margin: 8px 0;}
.src .meta {color: #666; font-size: 0.85em;}
.src blockquote {margin: 4px 0; font-style: italic;}
.refusal {border-left: 3px solid #d08b2c; padding: 4px 10px; color: #8a5a12;}
"""


def sources_html(ans: Answer) -> str:
    if not ans.answerable:
        return ('<div class="refusal">The corpus does not contain an answer to this question, '
                "so no source is cited.</div>")
    items = []
    for c in ans.citations:
        meta = " · ".join(html.escape(x) for x in (c.date or "undated", c.lang or "?", c.source))
        items.append(
            f'<div class="src"><b>[{c.n}] {html.escape(c.title)}</b>'
            f'<div class="meta">{meta} · characters {c.start}–{c.end}</div>'
            f"<blockquote>{html.escape(c.quote)}</blockquote></div>"
        )
    return "\n".join(items)


def answer_markdown(ans: Answer) -> str:
    """The chat bubble: the answer, then its sources as a numbered list (escaped)."""
    text = html.escape(ans.text)
    if not ans.answerable:
        return f"⚠️ {text}"
    lines = [text, ""]
    for c in ans.citations:
        lines.append(f"[{c.n}] *{html.escape(c.title)}* ({c.date or 'undated'}, {c.lang or '?'})")
    return "\n".join(lines)


def build_app(app: Assistant):
    import gradio as gr

    def respond(message: str, history: list[dict[str, Any]] | None):
        history = list(history or [])
        if not (message or "").strip():
            return history, gr.update(), ""
        try:
            ans = app.ask(message)
        except Exception as exc:  # noqa: BLE001 - shown to the person, not raised into Gradio
            from corpus import AssistantError

            if not isinstance(exc, AssistantError):
                raise
            history += [{"role": "user", "content": html.escape(message)},
                        {"role": "assistant", "content": f"⚠️ {html.escape(str(exc))}"}]
            return history, "", ""
        history += [{"role": "user", "content": html.escape(message)},
                    {"role": "assistant", "content": answer_markdown(ans)}]
        return history, sources_html(ans), ""

    def ask_api(question: str) -> dict[str, Any]:
        return app.ask(question).to_dict()

    with gr.Blocks(title="News assistant") as demo:
        gr.Markdown("## News assistant\nAsk about the indexed articles in English, Russian, "
                    "German, Turkish or Azerbaijani. Every answer quotes its sources.")
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Conversation", height=480, sanitize_html=True,
                                  buttons=["copy"], elem_id="chat")
                box = gr.Textbox(label="Question", placeholder="Who is the Secretary-General "
                                 "of the Organization of Turkic States?", elem_id="question")
                with gr.Row():
                    send = gr.Button("Ask", variant="primary", elem_id="ask")
                    clear = gr.Button("Clear chat", elem_id="clear")
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                sources = gr.HTML(elem_id="sources")
        for trigger in (send.click, box.submit):
            trigger(respond, [box, chat], [chat, sources, box], api_visibility="private",
                    concurrency_limit=1)
        clear.click(lambda: ([], "", ""), None, [chat, sources, box], api_visibility="private")
        # A plain JSON endpoint for scripts (gradio_client), same shape as `ask --json`.
        api_in = gr.Textbox(visible=False)
        api_out = gr.JSON(visible=False)
        api_in.submit(ask_api, api_in, api_out, api_name="ask", concurrency_limit=1)
    return demo


def serve(app: Assistant, host: str, port: int) -> None:
    """Serve the chat page on an indexed store (the CLI indexes an empty one first)."""
    app.retriever  # noqa: B018 - load models before the first visitor, not during
    demo = build_app(app)
    auth = None
    if os.environ.get("ASSISTANT_AUTH"):
        user, _, password = os.environ["ASSISTANT_AUTH"].partition(":")
        auth = (user, password)
    print(f"serving on http://{host}:{port}", file=sys.stderr, flush=True)
    demo.queue(default_concurrency_limit=1).launch(
        server_name=host, server_port=port, share=False, auth=auth, show_error=False,
        quiet=True, css=CSS, footer_links=["api"],
    )
