"""A self-contained HTML report: headline numbers, charts, per-question table (failures first)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from corpus.jsonl import write_atomic

from .runner import HEADLINE, Record

CSS = """
body{font-family:system-ui,sans-serif;margin:24px;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ddd;padding:4px 8px;
vertical-align:top;text-align:left}th{background:#f4f4f4}.num{text-align:right}
.fail{background:#fff1f0}.pass{background:#f3fbf3}blockquote{margin:2px 0 6px 8px;color:#444;
font-size:.9em;border-left:3px solid #9ab;padding-left:6px}.small{font-size:.85em;color:#555}
img{max-width:100%}
"""


# The summary table's columns, in order, for the command line, the report and the page.
COLUMNS = ["questions", *HEADLINE, "passed", "latency_p50_ms", "latency_p95_ms"]
LLM_COLUMNS = ["llm_answers", "sentences_removed"]  # shown for an LLM-mode run


def columns(summary: dict) -> list[str]:
    return COLUMNS + [c for c in LLM_COLUMNS if c in summary]


def cell(value, column: str = "") -> str:
    """One figure: counts and milliseconds whole, rates to 3 places, "–" when undefined."""
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if column.startswith(("questions", "latency", "sentences")) or (isinstance(value, float)
                                                       and abs(value) >= 10):
        return f"{value:.0f}"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _scopes(summary: dict, per_lang: dict) -> list[tuple[str, dict]]:
    return [("all", summary), *per_lang.items()]


def text_table(summary: dict, per_lang: dict) -> str:
    """The summary as a plain-text table: one row per metric, a column per language."""
    scopes = _scopes(summary, per_lang)
    lines = [f"{'metric':20s}" + "".join(f"{s:>8s}" for s, _ in scopes)]
    for c in columns(summary):
        lines.append(f"{c:20s}" + "".join(f"{cell(summ.get(c), c):>8s}" for _, summ in scopes))
    return "\n".join(lines)


def headline_html(summary: dict, per_lang: dict) -> str:
    """The summary as an HTML table: one row per metric, a column per language."""
    scopes = _scopes(summary, per_lang)
    head = "".join(f"<th>{html.escape(s)}</th>" for s, _ in scopes)
    body = "".join(
        f"<tr><th style='text-align:left'>{html.escape(c)}</th>"
        + "".join(f"<td class='num'>{cell(s.get(c), c)}</td>" for _, s in scopes) + "</tr>"
        for c in columns(summary))
    return f"<table><tr><th>metric</th>{head}</tr>{body}</table>"


def _esc(value) -> str:
    return html.escape(cell(value))


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def charts(summary_by_lang: dict[str, dict], records: list[Record]) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    out = []
    keys = ["hit@5", "mrr@10", "citation_precision", "citation_recall", "must_mention",
            "refusal_accuracy", "passed"]
    langs = list(summary_by_lang)
    fig, ax = plt.subplots(figsize=(9, 3.6))
    width = 0.8 / max(len(langs), 1)
    x = np.arange(len(keys))
    for i, lang in enumerate(langs):
        vals = [summary_by_lang[lang].get(k) for k in keys]
        ax.bar(x + i * width, [v if v is not None else 0 for v in vals], width,
               label=f"{lang} (n={summary_by_lang[lang]['questions']})")
    ax.set_xticks(x + width * (len(langs) - 1) / 2, keys, rotation=20, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_title("Metrics by question language")
    ax.legend(fontsize=8, ncol=len(langs))
    out.append(("Metrics by question language", _png(fig)))

    fig, ax = plt.subplots(figsize=(9, 3))
    lat = [r.latency_ms for r in records]
    ax.hist(lat, bins=min(30, max(5, len(lat) // 2)), color="#6b8afd")
    ax.set_xlabel("latency per question (ms)")
    ax.set_ylabel("questions")
    p50, p95 = np.percentile(lat, 50), np.percentile(lat, 95)
    ax.set_title(f"Latency (p50 {p50:.0f} ms, p95 {p95:.0f} ms)")
    out.append(("Latency", _png(fig)))
    return out


def render(summary: dict, by_lang: dict[str, dict], records: list[Record], title: str,
           comparison: list[str] | None = None) -> str:
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
             f"</title><style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>"]
    parts.append("<h2>Headline</h2><div style='overflow-x:auto'>"
                 f"{headline_html(summary, by_lang)}</div>")
    if comparison:
        parts.append("<h2>Against the baseline</h2><ul>"
                     + "".join(f"<li>{html.escape(line)}</li>" for line in comparison)
                     + "</ul>")
    for name, src in charts(by_lang, records):
        parts.append(f"<h2>{html.escape(name)}</h2><img alt='{html.escape(name)}' src='{src}'>")
    parts.append("<h2>Questions (failures first)</h2><table><tr><th>id</th><th>lang</th>"
                 "<th>question</th><th>answer and citations</th><th>expected</th>"
                 "<th>scores</th></tr>")
    for r in sorted(records, key=lambda r: (r.passed, r.item.id)):
        a = r.answer
        cites = "".join(
            f"<div class='small'>[{c['n']}] {html.escape(c['doc_id'])} ({_esc(c.get('lang'))}, "
            f"{_esc(c.get('date'))})</div><blockquote>{html.escape(c['quote'])}</blockquote>"
            for c in a.get("citations", []))
        expected = ("refusal" if not r.item.answerable else
                    "docs: " + html.escape(", ".join(r.item.expected_docs)))
        if r.item.must_mention:
            expected += "<br>must mention: " + html.escape(
                " & ".join(" | ".join(g) for g in r.item.must_mention))
        if r.item.reference:
            expected += "<br>reference: " + html.escape(r.item.reference)
        expected += "<br><span class='small'>retrieved: " + html.escape(
            ", ".join(dict.fromkeys(r.ranked_docs))) + "</span>"
        scores = "<br>".join(f"{html.escape(k)}: {cell(v)}" for k, v in r.scores.items()
                             if v is not None)
        parts.append(
            f"<tr class='{'pass' if r.passed else 'fail'}'><td>{html.escape(r.item.id)}</td>"
            f"<td>{html.escape(r.item.lang)}</td><td>{html.escape(r.item.question)}</td>"
            f"<td>{html.escape(a.get('answer', ''))}{cites}</td><td>{expected}</td>"
            f"<td class='small'>{scores}<br>latency: {r.latency_ms:.0f} ms</td></tr>")
    parts.append("</table></body></html>")
    return "\n".join(parts)


def write_report(folder: str | Path, page: str) -> Path:
    return write_atomic(Path(folder) / "index.html", page)
