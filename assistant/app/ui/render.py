"""HTML of the chat page: answer bubbles with [n] markers, the sources panel, the articles.

Pure functions of the conversation (no Gradio). Every piece of article text, title and
question goes through ``html.escape``; the only markup is what these functions write. Markers
and sources carry ``data-turn``/``data-n`` so the page script (``page.js``) can open the whole
article with the quote highlighted; each turn's cited articles are embedded (hidden) in the
sources panel, so opening one needs no round trip.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from html import escape

from assistant.engine.conversation import Turn
from assistant.engine.i18n import LANG_NAMES
from assistant.engine.model import Answer, Citation
from assistant.engine.phrases import ENDONYMS, say
from corpus.citations import MARKER

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
    lang = ans.lang
    parts = []
    if turn.filters:
        parts.append(f'<div class="filters-used">{escape(say("filters", lang))}: '
                     f"{escape(turn.filters)}</div>")
    if turn.query != turn.question:
        parts.append(f'<div class="context-used">{escape(say("followup", lang))} '
                     f"<i>{escape(turn.query)}</i></div>")
    text = ans.text if shown is None else shown
    state = "done" if done else "streaming"
    if ans.answerable:
        body = MARKER.sub(
            lambda m: (f'<a class="cite" href="#src-{t}-{m[1]}" '
                       f'title="{_attr(say("open_source", lang, n=m[1]))}">[{m[1]}]</a>'),
            _lines(text))
        parts.append(f'<div class="answer {state}">{body}</div>')
    else:
        hint = (f"<br><span class='hint'>{escape(say('closest_hint', lang))}</span>"
                if ans.closest and done else "")
        parts.append(f'<div class="refusal {state}">{_lines(text)}{hint}</div>')
    if done and ans.notice:
        parts.append(f'<div class="notice">{escape(ans.notice)}</div>')
    if done and ans.removed:
        items = "".join(f"<li>“{escape(r['sentence'])}”: {escape(r['reason'])}</li>"
                        for r in ans.removed)
        parts.append(f'<details class="removed"><summary>{escape(say("removed", lang))} '
                     f'({len(ans.removed)})</summary><ul>{items}</ul></details>')
    if done and ans.confidence is not None:
        parts.append(f'<div class="confidence">{escape(_confidence(ans))}</div>')
    return "".join(parts)


def _confidence(ans: Answer) -> str:
    """How sure the answer is, in words a reader can use, in the question's language."""
    pct, lang = round(100 * ans.confidence), ans.lang
    if not ans.answerable:
        return say("refused_conf", lang, pct=pct)
    if ans.mode == "llm":
        return say("llm_conf", lang, pct=pct)
    level = "high" if pct >= 70 else "medium" if pct >= 40 else "low"
    return say("conf", lang, level=say(level, lang), pct=pct)


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


def _meta(rec: dict | None, c: Citation | None = None, said: str | None = None) -> str:
    """Date, language and site of a source; "undated" in ``said``, the answer's language."""
    rec = rec or {}
    date = (c.date if c else None) or rec.get("date") or say("undated", said)
    lang = (c.lang if c else None) or rec.get("lang") or "?"
    where = rec.get("site") or rec.get("source") or (c.source if c else "")
    # the source's language by its own name (русский, Deutsch): no answer's language's word
    bits = [date, f"{ENDONYMS.get(lang) or LANG_NAMES.get(lang, lang)} ({lang})", where]
    return " · ".join(escape(b) for b in bits if b)


def _article_block(t: int, doc: str, rec: dict | None, spans: list[tuple[int, int, int]],
                   said: str | None) -> str:
    """A whole article, hidden until the page script opens it."""
    if rec is None:
        return ""
    url = rec.get("url") or ""
    link = (f' · <a href="{_attr(url)}" target="_blank" rel="noopener noreferrer">'
            f'{escape(say("original", said))}</a>'
            if url.startswith(("http://", "https://")) else "")
    return (f'<div class="article-full" hidden data-turn="{t}" data-doc="{_attr(doc)}">'
            f'<h3 class="article-title">{escape(rec.get("title") or doc)}</h3>'
            f'<div class="meta">{_meta(rec, None, said)} · <code>{escape(doc)}</code>{link}'
            "</div>"
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
        return ('<h3 class="sources-head">Sources</h3><div class="sources-empty">Sources of '
                "the answer appear here: the passage each [n] quotes, highlighted. Click one "
                "to read the whole article.</div>")
    # the panel's name in the language of the answer it shows
    blocks = [f'<h3 class="sources-head">{escape(say("sources", turns[-1].answer.lang))}</h3>']
    for t in range(len(turns) - 1, -1, -1):
        body = _turn_sources(turns[t], t, article, chunk,
                             upto if t == len(turns) - 1 else None)
        if t == len(turns) - 1:
            blocks.append(f'<div class="turn-sources current" data-turn="{t}">{body}</div>')
        else:
            asked = escape(say("question_n", turns[t].answer.lang, n=t + 1))
            blocks.append(f'<details class="turn-sources" data-turn="{t}"><summary>{asked}: '
                          f"{escape(turns[t].question[:80])}</summary>{body}</details>")
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
            return f'<div class="sources-empty">{escape(say("no_close", ans.lang))}</div>'
        items.append(f'<div class="closest-head">{escape(say("closest_head", ans.lang))}'
                     "</div>")
        for h in ans.closest:
            doc = h.chunk.article_id
            rec = rec_of(doc)
            spans.setdefault(doc, [])
            items.append(
                f'<div class="src closest" tabindex="0" role="button" data-turn="{t}" '
                f'data-doc="{_attr(doc)}" data-lang="{_attr(h.chunk.lang or "")}" '
                f'data-date="{_attr(h.chunk.date or "")}"><div class="src-head"><b>'
                f"{escape(h.chunk.title)}</b></div><div class=\"meta\">{_meta(rec, None, ans.lang)}"
                "</div>"
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
                    f' ({escape(o.get("lang") or "?")}, '
                    f'{escape(o.get("date") or say("undated", ans.lang))})</a>')
            also = (f'<div class="also">{escape(say("also", ans.lang))} '
                    f'{"; ".join(links)}</div>')
        items.append(
            f'<div class="src" id="src-{t}-{c.n}" tabindex="0" role="button" '
            f'data-turn="{t}" data-n="{c.n}" data-doc="{_attr(c.article_id)}" '
            f'data-lang="{_attr(c.lang or "")}" data-date="{_attr(c.date or "")}">'
            f'<div class="src-head"><span class="num">[{c.n}]</span> '
            f"<b>{escape(c.title)}</b></div>"
            f'<div class="meta">{_meta(rec, c, ans.lang)}</div>'
            f'<div class="passage">{_passage(c, rec, chunk(c.chunk_id))}</div>{also}</div>')
    arts = "".join(_article_block(t, doc, records.get(doc), s, ans.lang)
                   for doc, s in spans.items())
    return "".join(items) + arts


def _name(folder: str) -> str:
    return folder.rstrip("/").rsplit("/", 1)[-1] or folder


def corpus_html(cat: list[dict], indexed_at: str, corpus: str, store: str) -> str:
    """The Corpus tab's summary: counts, when indexed, where, and articles by language and
    month."""
    if not cat:
        return "<p>Nothing is indexed yet: press Re-index.</p>"
    chunks = sum(a["n_chunks"] or 0 for a in cat)
    by_lang = Counter(a["lang"] or "?" for a in cat)
    by_month = Counter((a["date"] or "undated")[:7] for a in cat)
    rows = "".join(f"<tr><td style='text-align:left'>{escape(LANG_NAMES.get(k, k))} "
                   f"({escape(k)})</td><td>{v}</td></tr>" for k, v in sorted(by_lang.items()))
    months = "".join(f"<tr><td style='text-align:left'>{escape(k)}</td><td>{v}</td></tr>"
                     for k, v in sorted(by_month.items()))
    # the folders by name only: the server's paths are nobody's business (a URL store is
    # shown whole, it names no folder)
    corpus, store = _name(corpus), store if "://" in store else _name(store)
    return (f"<p><b>{len(cat)}</b> articles, <b>{chunks}</b> chunks; last indexed "
            f"<b>{escape(indexed_at)}</b>.<br>Corpus folder <code>{escape(corpus)}</code>, "
            f"store <code>{escape(store)}</code>.</p>"
            "<div style='display:flex;gap:24px;flex-wrap:wrap'>"
            f"<table><tr><th>language</th><th>articles</th></tr>{rows}</table>"
            f"<table><tr><th>month</th><th>articles</th></tr>{months}</table></div>")


def index_status(report) -> str:
    """One index run's outcome (an ``index.IndexReport``), with the files it skipped."""
    skipped = "".join(f"<br>skipped {escape(s.source)}: {escape(s.reason)}"
                      for s in report.skipped_files)
    return (f"Indexed {report.articles} articles ({report.counts()}), {report.chunks} chunks "
            f"in {report.seconds:.1f} s.{skipped}")


def error_html(exc: Exception) -> str:
    return f"⚠️ {escape(str(exc))}"
