"""HTML of the chat page: answer bubbles with [n] markers, the sources panel, the articles.

Pure functions of the conversation (no Gradio). Every piece of article text, title and
question goes through ``html.escape``; the only markup is what these functions write. Markers
and sources carry ``data-turn``/``data-n`` so the page script (``PAGE_JS``) can open the whole
article with the quote highlighted; each turn's cited articles are embedded (hidden) in the
sources panel, so opening one needs no round trip.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape

from assistant.engine.conversation import Turn
from assistant.engine.model import Answer, Citation

_MARKER = re.compile(r"\[(\d+)\]")
LANG_NAMES = {"en": "English", "ru": "Russian", "de": "German", "tr": "Turkish",
              "az": "Azerbaijani", "es": "Spanish", "uk": "Ukrainian"}

# article id -> its manifest record (title, date, lang, site, source, text, ...) or None
ArticleLookup = Callable[[str], "dict | None"]
# chunk id -> (start, end) of the chunk in its article's text, or None
ChunkLookup = Callable[[str], "tuple[int, int] | None"]


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _lines(text: str) -> str:
    return escape(text).replace("\n", "<br>")


def answer_html(turn: Turn, t: int, shown: str | None = None, done: bool = True) -> str:
    """The chat bubble of turn ``t``: active filters, the context a follow-up was asked
    with, then the answer (``shown`` is the streamed prefix) with clickable markers, or a
    refusal. One line of HTML, so Markdown leaves it alone. The chat sanitises HTML (data-*
    attributes are dropped), so a marker says which source it is in its href alone."""
    ans = turn.answer
    parts = []
    if turn.filters:
        parts.append(f'<div class="filters-used">Filters: {escape(turn.filters)}</div>')
    if turn.query != turn.question:
        parts.append('<div class="context-used">Follow-up, asked with the previous question: '
                     f"<i>{escape(turn.query)}</i></div>")
    text = ans.text if shown is None else shown
    state = "done" if done else "streaming"
    if ans.answerable:
        body = _MARKER.sub(
            lambda m: (f'<a class="cite" href="#src-{t}-{m[1]}" '
                       f'title="open source {m[1]}">[{m[1]}]</a>'),
            _lines(text))
        parts.append(f'<div class="answer {state}">{body}</div>')
    else:
        parts.append(f'<div class="refusal {state}">'
                     f'{_lines(text)}'
                     + ("<br><span class='hint'>The closest passages found are listed under "
                        "Sources; none of them answers the question.</span>"
                        if ans.closest and done else "") + "</div>")
    return "".join(parts)


def _marked(text: str, spans: list[tuple[int, int, int]], active: int | None = None) -> str:
    """``text`` escaped, with each (start, end, n) span in a <mark>; overlapping spans merge
    (the mark lists every n it stands for)."""
    merged: list[list] = []
    for start, end, n in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2].append(n)
        else:
            merged.append([start, end, [n]])
    out, pos = [], 0
    for start, end, ns in merged:
        cls = "q active" if active in ns else "q"
        out.append(escape(text[pos:start]))
        out.append(f'<mark class="{cls}" data-ns="{" ".join(map(str, ns))}">'
                   f"{escape(text[start:end])}</mark>")
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


def _meta(rec: dict | None, c: Citation | None = None) -> str:
    rec = rec or {}
    date = (c.date if c else None) or rec.get("date") or "undated"
    lang = (c.lang if c else None) or rec.get("lang") or "?"
    where = rec.get("site") or rec.get("source") or (c.source if c else "")
    bits = [date, f"{LANG_NAMES.get(lang, lang)} ({lang})", where]
    return " · ".join(escape(b) for b in bits if b)


def _article_block(t: int, doc: str, rec: dict | None, spans: list[tuple[int, int, int]]) -> str:
    """A whole article, hidden until the page script opens it."""
    if rec is None:
        return ""
    url = rec.get("url") or ""
    link = (f' · <a href="{_attr(url)}" target="_blank" rel="noopener noreferrer">original</a>'
            if url.startswith(("http://", "https://")) else "")
    return (f'<div class="article-full" hidden data-turn="{t}" data-doc="{_attr(doc)}">'
            f'<h3 class="article-title">{escape(rec.get("title") or doc)}</h3>'
            f'<div class="meta">{_meta(rec)} · <code>{escape(doc)}</code>{link}</div>'
            f'<div class="article-text">{_marked(rec.get("text") or "", spans)}</div></div>')


def _passage(c: Citation, rec: dict | None, chunk: tuple[int, int] | None) -> str:
    text = (rec or {}).get("text") or ""
    if chunk and text and chunk[0] <= c.start and c.end <= chunk[1]:
        a, b = chunk
        return _marked(text[a:b], [(c.start - a, c.end - a, c.n)])
    return f'<mark class="q" data-ns="{c.n}">{escape(c.quote)}</mark>'


def sources_html(turns: list[Turn], article: ArticleLookup, chunk: ChunkLookup,
                 upto: int | None = None) -> str:
    """The sources panel: the last turn's sources (only those whose marker has been streamed
    when ``upto`` is given), earlier turns folded away, each with its articles embedded."""
    if not turns:
        return ('<div class="sources-empty">Sources of the answer appear here: the passage '
                "each [n] quotes, highlighted. Click one to read the whole article.</div>")
    blocks = []
    for t in range(len(turns) - 1, -1, -1):
        body = _turn_sources(turns[t], t, article, chunk,
                             upto if t == len(turns) - 1 else None)
        if t == len(turns) - 1:
            blocks.append(f'<div class="turn-sources current" data-turn="{t}">{body}</div>')
        else:
            blocks.append(f'<details class="turn-sources" data-turn="{t}"><summary>Question '
                          f"{t + 1}: {escape(turns[t].question[:80])}</summary>{body}</details>")
    return "".join(blocks)


def _turn_sources(turn: Turn, t: int, article: ArticleLookup, chunk: ChunkLookup,
                  upto: int | None) -> str:
    ans: Answer = turn.answer
    records: dict[str, dict | None] = {}

    def rec_of(doc: str) -> dict | None:
        if doc not in records:
            records[doc] = article(doc)
        return records[doc]

    items, spans = [], {}
    if not ans.answerable:
        if not ans.closest:
            return '<div class="sources-empty">No passage came close.</div>'
        items.append('<div class="closest-head">Closest passages found (none answers the '
                     "question):</div>")
        for h in ans.closest:
            doc = h.chunk.article_id
            rec = rec_of(doc)
            spans.setdefault(doc, [])
            items.append(
                f'<div class="src closest" tabindex="0" role="button" data-turn="{t}" '
                f'data-doc="{_attr(doc)}" data-lang="{_attr(h.chunk.lang or "")}" '
                f'data-date="{_attr(h.chunk.date or "")}"><div class="src-head"><b>'
                f"{escape(h.chunk.title)}</b></div><div class=\"meta\">{_meta(rec)}</div>"
                f'<div class="passage">{escape(h.chunk.text)}</div></div>')
    for c in ans.citations:
        if upto is not None and c.n > upto:
            continue
        rec = rec_of(c.article_id)
        spans.setdefault(c.article_id, []).append((c.start, c.end, c.n))
        also = ""
        if c.also_reported_in:
            links = []
            for o in c.also_reported_in:
                spans.setdefault(o["doc_id"], [])
                rec_of(o["doc_id"])
                links.append(
                    f'<a class="also-link" href="#" data-turn="{t}" '
                    f'data-doc="{_attr(o["doc_id"])}">{escape(o.get("title") or o["doc_id"])}'
                    f' ({escape(o.get("lang") or "?")}, {escape(o.get("date") or "undated")})'
                    "</a>")
            also = f'<div class="also">Also reported in: {"; ".join(links)}</div>'
        items.append(
            f'<div class="src" id="src-{t}-{c.n}" tabindex="0" role="button" '
            f'data-turn="{t}" data-n="{c.n}" data-doc="{_attr(c.article_id)}" '
            f'data-lang="{_attr(c.lang or "")}" data-date="{_attr(c.date or "")}">'
            f'<div class="src-head"><span class="num">[{c.n}]</span> '
            f"<b>{escape(c.title)}</b></div>"
            f'<div class="meta">{_meta(rec, c)}</div>'
            f'<div class="passage">{_passage(c, rec, chunk(c.chunk_id))}</div>{also}</div>')
    arts = "".join(_article_block(t, doc, records.get(doc), s) for doc, s in spans.items())
    return "".join(items) + arts


# The page script: one delegated listener, so it works for HTML that streams in later.
PAGE_JS = r"""
<script>
(() => {
  function viewer() {
    let v = document.getElementById('article-viewer');
    if (v) return v;
    v = document.createElement('div');
    v.id = 'article-viewer';
    v.setAttribute('role', 'dialog');
    v.setAttribute('aria-modal', 'true');
    v.hidden = true;
    v.innerHTML = '<div class="viewer-bar"><span>Article</span>' +
      '<button type="button" id="article-close" aria-label="Close the article">Close ✕</button>' +
      '</div><div class="viewer-body"></div>';
    document.body.appendChild(v);
    v.querySelector('#article-close').addEventListener('click', () => { v.hidden = true; });
    return v;
  }
  function open(turn, doc, n) {
    const art = document.querySelector(
      `.article-full[data-turn="${turn}"][data-doc="${CSS.escape(doc)}"]`);
    if (!art) return;
    const v = viewer();
    const body = v.querySelector('.viewer-body');
    body.innerHTML = art.innerHTML;
    body.dataset.doc = doc;
    v.hidden = false;
    let target = null;
    if (n) {
      body.querySelectorAll('mark.q').forEach(m => {
        const on = m.dataset.ns.split(' ').includes(String(n));
        m.classList.toggle('active', on);
        if (on && !target) target = m;
      });
    }
    if (target) target.scrollIntoView({block: 'center'});
    else body.scrollTop = 0;
  }
  document.addEventListener('click', (e) => {
    const cite = e.target.closest('a.cite');
    if (cite) {
      e.preventDefault(); e.stopPropagation();
      const m = (cite.getAttribute('href') || '').match(/^#src-(\d+)-(\d+)$/);
      const src = m && document.querySelector(`.src[data-turn="${m[1]}"][data-n="${m[2]}"]`);
      if (src) open(src.dataset.turn, src.dataset.doc, src.dataset.n);
      return;
    }
    const also = e.target.closest('a.also-link');
    if (also) { e.preventDefault(); open(also.dataset.turn, also.dataset.doc, null); return; }
    const src = e.target.closest('.src');
    if (src && !e.target.closest('a')) open(src.dataset.turn, src.dataset.doc, src.dataset.n);
  }, true);
  document.addEventListener('keydown', (e) => {
    const v = document.getElementById('article-viewer');
    if (e.key === 'Escape' && v) v.hidden = true;
    const src = e.target.closest && e.target.closest('.src');
    if (src && (e.key === 'Enter' || e.key === ' ')) {
      e.preventDefault(); open(src.dataset.turn, src.dataset.doc, src.dataset.n);
    }
  });
})();
</script>
"""

CSS = """
#chat .answer a.cite, #sources a.cite {font-weight: 600; text-decoration: none; color: #2f54eb;
  padding: 0 1px; cursor: pointer;}
.filters-used, .context-used {font-size: .85em; color: #555; margin-bottom: 4px;}
.refusal {border-left: 4px solid #d08b2c; background: #fff7e6; color: #5c3c00;
  padding: 6px 10px; border-radius: 4px;}
.refusal .hint {font-size: .85em;}
.src {border-left: 3px solid #6b8afd; padding: 6px 10px; margin: 8px 0; cursor: pointer;
  border-radius: 4px;}
.src:hover, .src:focus {background: rgba(107, 138, 253, .08); outline: none;}
.src.closest {border-left-color: #d08b2c;}
.closest-head {font-weight: 600; color: #8a5a12;}
.src .num {color: #2f54eb; font-weight: 700;}
.meta {color: #666; font-size: .85em;}
.passage {margin-top: 4px; font-size: .92em; line-height: 1.45; overflow-wrap: anywhere;}
mark.q {background: #fff1a8; color: inherit; padding: 0 1px;}
mark.q.active {background: #ffd43b; outline: 2px solid #f08c00;}
.also {font-size: .85em; margin-top: 4px;}
.sources-empty {color: #777; font-size: .9em;}
.turn-sources summary {cursor: pointer; color: #555; margin: 6px 0;}
#article-viewer {position: fixed; top: 0; right: 0; width: min(720px, 100vw); height: 100vh;
  background: var(--background-fill-primary, #fff); color: var(--body-text-color, #222);
  box-shadow: -4px 0 16px rgba(0,0,0,.25); z-index: 1000; display: flex;
  flex-direction: column;}
#article-viewer[hidden] {display: none;}
#article-viewer .viewer-bar {display: flex; justify-content: space-between; align-items: center;
  padding: 8px 14px; border-bottom: 1px solid #ddd; font-weight: 600;}
#article-viewer .viewer-bar button {border: 1px solid #bbb; border-radius: 4px;
  padding: 2px 10px; background: transparent; cursor: pointer; color: inherit;}
#article-viewer .viewer-body {overflow-y: auto; padding: 10px 16px 40px;}
#article-viewer .article-text {white-space: pre-wrap; line-height: 1.55; overflow-wrap: anywhere;}
#corpus-summary table, #eval-headline table {border-collapse: collapse; margin: 6px 0;}
#corpus-summary td, #corpus-summary th, #eval-headline td, #eval-headline th {
  border: 1px solid #ddd; padding: 3px 8px; text-align: right;}
@media (max-width: 640px) {
  .gradio-container {padding-left: 6px !important; padding-right: 6px !important;}
  #article-viewer {width: 100vw;}
  .src {padding: 4px 6px;}
}
"""
