"""The evaluation for people: the command line's text, the HTML report and the page's tab.

One summary, one list of records and one gate verdict make all of them: ``text_report`` (the
terminal), ``report_body`` (an HTML fragment with its own scoped styles, shown by the page's
Evaluation tab) and ``render`` (the standalone report: a page around the same fragment).
The fragment reads top-down: the verdict line, a compact table, the failures with their
reasons, then (folded) the passes, every metric, the changes against the baseline, a
glossary, and the charts last.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from corpus.jsonl import write_atomic

from .explain import (
    GLOSSARY,
    KEY_METRICS,
    LABELS,
    cell,
    cited_docs,
    doc_label,
    expected_text,
    failure_lines,
    failures,
    passed_cell,
    passed_words,
    quality,
    reason_counts,
    short,
    shown,
    titles_of,
    verdict,
)
from .gate import Gate
from .runner import HEADLINE, Record

__all__ = ["cell", "columns", "headline_html", "render", "report_body", "text_report",
           "text_table", "write_report"]

# The full metrics table's rows, in order, for the command line, the report and the page.
COLUMNS = ["questions", *HEADLINE, "passed", "confident_wrong", "latency_p50_ms",
           "latency_p95_ms"]
LLM_COLUMNS = ["llm_answers", "sentences_removed"]  # shown for an LLM-mode run

# Scoped to .ev-report, so the fragment looks the same in the report and inside the page.
# "&" stands for the doubled class: its rules outrank a host page's (Gradio's ".prose td",
# ".prose *"), which would otherwise re-align, re-pad and re-colour the tables and cards.
CSS = """
&{font-family:system-ui,sans-serif;color:#222;background:#fff;line-height:1.4;
overflow-wrap:anywhere}
& *{color:inherit}
& h2{font-size:1.2em;font-weight:700;margin:1.2em 0 .4em}
& h3{font-size:1em;font-weight:700;margin:.8em 0 .3em}
& .ev-verdict{font-size:1.1em;padding:8px 12px;border-radius:6px;margin:8px 0;
border-left:5px solid #777;background:#f4f4f4}
& .ev-gate{padding:6px 12px;border-radius:6px;margin:8px 0;border-left:5px solid #5470c6;
background:#f3f5fb}
& .ev-gate.ev-bad{border-left-color:#c62828;background:#fff1f0}
& .ev-targets .ev-dot{display:inline-block;width:.8em;height:.8em;border-radius:50%;
margin-right:6px;vertical-align:-1px}
& .ev-green .ev-dot{background:#2e7d32}& .ev-amber .ev-dot{background:#e69500}
& .ev-red .ev-dot{background:#c62828}
& .ev-red td:nth-child(2){color:#c62828;font-weight:600}
& .ev-note{margin:4px 0;color:#8a4b00}
& .ev-scroll{overflow-x:auto;max-width:100%}
& table{border-collapse:collapse;margin:6px 0 12px;font-size:.9em;width:auto}
& td,& th{border:1px solid #ddd;padding:3px 6px;margin:0;vertical-align:top;text-align:left}
& th{background:#f4f4f4;font-weight:600}
& .num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
& .ev-right{text-align:right}
& .ev-compact{font-size:.85em}& .ev-compact th{overflow-wrap:normal}
& .ev-compact td,& .ev-compact th{padding:3px 5px}
@media (max-width:480px){& .ev-compact{font-size:.78em}
& .ev-compact td,& .ev-compact th{padding:2px 3px}}
& .ev-small{font-size:.85em;color:#555;margin:2px 0}
& .ev-card{border:1px solid #e3c4c0;border-left:5px solid #c62828;border-radius:6px;
padding:8px 10px;margin:8px 0;background:#fffafa}
& .ev-q{font-weight:600}
& .ev-reasons{margin:4px 0 6px;padding-left:1.2em;list-style:disc}
& .ev-reasons li{color:#a31515;margin:0}
& .ev-pair{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,260px),1fr));
gap:6px 14px}
& .ev-pair>div{min-width:0}
& .ev-pair h4{margin:0;font-size:.8em;font-weight:600;text-transform:uppercase;color:#666;
letter-spacing:.04em}
& .ev-pair p{margin:2px 0 4px}
& details{margin:8px 0}& summary{cursor:pointer;font-weight:600;padding:4px 0}
& dl{margin:4px 0}& dt{font-weight:600;margin-top:6px}& dd{margin:0 0 0 1em}
& img{max-width:100%;height:auto}
""".replace("&", ".ev-report.ev-report")


def columns(summary: Mapping) -> list[str]:
    return COLUMNS + [c for c in LLM_COLUMNS if c in summary]


def _scopes(summary: Mapping, per_lang: Mapping) -> list[tuple[str, Mapping]]:
    return [("all", summary), *per_lang.items()]


# -- text ----------------------------------------------------------------------------------
def text_table(summary: Mapping, per_lang: Mapping) -> str:
    """The summary as a plain-text table: one row per metric, a column per language."""
    scopes = _scopes(summary, per_lang)
    lines = [f"{'metric':20s}" + "".join(f"{s:>8s}" for s, _ in scopes)]
    for c in columns(summary):
        lines.append(f"{c:20s}" + "".join(f"{shown(summ, c):>8s}" for _, summ in scopes))
    return "\n".join(lines)


def text_report(summary: Mapping, per_lang: Mapping, records: Sequence[Record],
                gate: Gate | None = None, titles: Mapping[str, str] | None = None,
                limit: int | None = 10, with_verdict: bool = True) -> str:
    """What the command prints: every metric, the verdict line, the first failures with
    their reasons (the figures of ``report_body``)."""
    titles = titles_of(records, titles)
    tail = ["", verdict(summary, gate)] if with_verdict else []
    return "\n".join([text_table(summary, per_lang), *failure_lines(records, titles, limit),
                      *tail])


# -- HTML ----------------------------------------------------------------------------------
def _e(value) -> str:
    return html.escape(str(value), quote=True)


def headline_html(summary: Mapping, per_lang: Mapping) -> str:
    """Every metric as an HTML table: one row per metric (named with its meaning on hover),
    a column per language."""
    scopes = _scopes(summary, per_lang)
    head = "".join(f"<th class='ev-right'>{_e(s)}</th>" for s, _ in scopes)
    body = "".join(
        f"<tr><th title='{_e(GLOSSARY.get(c, ''))}'>{_e(c)}</th>"
        + "".join(f"<td class='num'>{shown(s, c)}</td>" for _, s in scopes) + "</tr>"
        for c in columns(summary))
    return f"<table class='ev-all'><tr><th>metric</th>{head}</tr>{body}</table>"


def compact_html(summary: Mapping, per_lang: Mapping) -> str:
    """The key metrics, a row per language: narrow enough for a phone."""
    head = "".join(f"<th class='ev-right' title='{_e(GLOSSARY[k])}'>{_e(LABELS[k])}</th>"
                   for k in KEY_METRICS)
    rows = "".join(
        f"<tr><th>{_e(scope)}</th>" + "".join(
            f"<td class='num'>{passed_cell(s) if k == 'passed' else shown(s, k)}</td>"
            for k in KEY_METRICS) + "</tr>"
        for scope, s in _scopes(summary, per_lang))
    return ("<div class='ev-scroll'><table class='ev-compact'><tr>"
            f"<th title='question language'>lang</th>{head}</tr>{rows}</table></div>")


def _docs_html(ids: Iterable[str], titles: Mapping[str, str]) -> str:
    return _e(", ".join(doc_label(d, titles) for d in ids) or "none")


def _said(rec: Record, limit: int = 300) -> str:
    """The answer's first ``limit`` characters; a refusal says so."""
    said = short(rec.answer.get("answer") or "", limit)
    return f"(refused) {said}" if rec.scores.get("refused") else said


def failure_card(rec: Record, reasons: list[str], titles: Mapping[str, str]) -> str:
    """One failed question: the question, why it failed, the answer beside what was
    expected, the articles cited beside those expected."""
    item = rec.item
    expected_docs = (f"<p class='ev-small'>articles: {_docs_html(item.expected_docs, titles)}"
                     "</p>" if item.answerable else "")
    return (
        f"<article class='ev-card' id='q-{_e(item.id)}'><div class='ev-q'>{_e(item.id)} "
        f"({_e(item.lang)}): {_e(item.question)}</div>"
        "<ul class='ev-reasons'>" + "".join(f"<li>{_e(x)}</li>" for x in reasons) + "</ul>"
        "<div class='ev-pair'>"
        f"<div><h4>Answer</h4><p>{_e(_said(rec))}</p>"
        f"<p class='ev-small'>cited: {_docs_html(cited_docs(rec), titles)}</p></div>"
        f"<div><h4>Expected</h4><p>{_e(expected_text(rec))}</p>{expected_docs}</div>"
        "</div></article>")


def _passes_html(records: Sequence[Record]) -> str:
    passed = sorted((r for r in records if r.passed), key=lambda r: r.item.id)
    rows = "".join(
        f"<tr><td>{_e(r.item.id)}</td><td>{_e(r.item.lang)}</td><td>{_e(r.item.question)}"
        f"</td><td>{_e(_said(r, 160))}</td></tr>" for r in passed)
    return (f"<details class='ev-passes'><summary>Passed ({len(passed)})</summary>"
            "<div class='ev-scroll'><table><tr><th>id</th><th>lang</th><th>question</th>"
            f"<th>answer</th></tr>{rows}</table></div></details>")


def glossary_html(keys: Iterable[str] | None = None) -> str:
    """What each metric means, one sentence each (folded)."""
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(GLOSSARY[k])}</dd>"
                    for k in (keys or GLOSSARY) if k in GLOSSARY)
    return ("<details class='ev-glossary'><summary>What the numbers mean</summary>"
            f"<dl>{items}</dl><p class='ev-small'>“–”: not defined for these questions (e.g. "
            "no unanswerable question in that language).</p></details>")


def _gate_html(gate: Gate | None) -> str:
    if gate is None:
        return ""
    items = "".join(f"<li>{_e(c.line())}</li>" for c in gate.changes) or "<li>no change</li>"
    return (f"<details class='ev-changes'><summary>Against {_e(gate.baseline)} "
            f"({len(gate.changes)} change{'' if len(gate.changes) == 1 else 's'}, tolerance "
            f"{gate.tolerance:g})</summary>"
            f"<ul>{items}</ul></details>")


def verdicts_html(summary: Mapping, gate: Gate | None) -> str:
    """Two verdicts, apart: quality against the targets (each metric red, amber or green),
    and the regression gate (no colour of success: it only compares with the baseline)."""
    targets = quality(summary)
    rows = "".join(
        f"<tr class='ev-{c}'><th title='{_e(GLOSSARY.get(m, ''))}'>{_e(m)}</th>"
        f"<td class='num'>{cell(v, m)}</td><td class='num'>{_e(t)}</td>"
        f"<td><span class='ev-dot'></span>{_e(c)}</td></tr>" for m, v, t, c in targets)
    met = sum(c == "green" for *_, c in targets)
    out = (f"<p class='ev-verdict'>{_e(passed_words(summary))}. "
           f"<b>Quality against the targets: {met} of {len(targets)} met.</b></p>"
           "<table class='ev-targets'><tr><th>metric</th><th class='ev-right'>value</th>"
           f"<th class='ev-right'>target</th><th>status</th></tr>{rows}</table>")
    if gate is not None:
        state = "ev-gate" if gate.passed else "ev-gate ev-bad"
        words = gate.words()
        out += f"<p class='{state}'>{_e(words[0].upper() + words[1:])}</p>"
    if summary.get("not_discriminating"):
        out += (f"<p class='ev-note'>{_e(', '.join(summary['not_discriminating']))}: n/a, "
                f"they cannot discriminate here (k is at least the {summary.get('articles')} "
                "indexed articles, so every article is in the top k).</p>")
    return out


def report_body(summary: Mapping, per_lang: Mapping, records: Sequence[Record],
                gate: Gate | None = None, titles: Mapping[str, str] | None = None,
                notes: Sequence[str] = (), charts: bool = True) -> str:
    """The evaluation as an HTML fragment (a ``div.ev-report`` with its own styles): the
    verdict line, the key metrics per language, the failures with their reasons, then folded
    the passes, every metric, the baseline's changes and a glossary; the charts last."""
    titles = titles_of(records, titles)
    failed = failures(records, titles)
    parts = [f"<div class='ev-report'><style>{CSS}</style>", verdicts_html(summary, gate)]
    parts += [f"<p class='ev-note'>⚠️ {_e(n)}</p>" for n in notes]
    parts.append(compact_html(summary, per_lang))
    counts = ", ".join(f"{k} {n}" for k, n in reason_counts(failed))
    parts.append(f"<h2>Failures ({len(failed)})</h2>"
                 + (f"<p class='ev-small'>by reason: {_e(counts)}</p>" if failed else
                    "<p>None: every question passed.</p>"))
    parts += [failure_card(r, reasons, titles) for r, reasons in failed]
    parts.append(_passes_html(records))
    parts.append("<details class='ev-metrics'><summary>All metrics</summary>"
                 f"<div class='ev-scroll'>{headline_html(summary, per_lang)}</div></details>")
    parts.append(_gate_html(gate))
    parts.append(glossary_html(columns(summary)))
    if charts:
        from .charts import charts as make_charts

        parts.append("<h2>Charts</h2>")
        parts += [f"<h3>{_e(name)}</h3><img alt='{_e(name)}' src='{src}'>"
                  for name, src in make_charts(summary, per_lang, records)]
    parts.append("</div>")
    return "\n".join(p for p in parts if p)


PAGE_CSS = ("body{margin:0 auto;max-width:1100px;padding:8px 16px 32px;"
            "font-family:system-ui,sans-serif}h1{font-size:1.5em;margin:.4em 0;"
            "overflow-wrap:anywhere}@media (max-width:480px){body{padding:4px 8px 24px}"
            "h1{font-size:1.25em}}")


def render(summary: Mapping, per_lang: Mapping, records: Sequence[Record], title: str,
           gate: Gate | None = None, titles: Mapping[str, str] | None = None,
           notes: Sequence[str] = ()) -> str:
    """The standalone report: a self-contained page around ``report_body``."""
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{_e(title)}</title><style>{PAGE_CSS}</style></head><body>"
            f"<h1>{_e(title)}</h1>\n"
            f"{report_body(summary, per_lang, records, gate, titles, notes)}\n</body></html>")


def write_report(folder: str | Path, page: str) -> Path:
    return write_atomic(Path(folder) / "index.html", page)
