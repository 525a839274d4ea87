"""The report's charts as self-contained SVG data URIs (matplotlib, imported on use).

SVG with its text kept as text: a chart scales to a phone's width without blurring, at about
500 px wide on a desktop and 370 on a phone its 10-point labels stay readable (about 11 and
8 px). The key metrics run down the page (a row per metric, a bar per language), each bar
labelled with its value, so a 0 reads as 0 and an undefined one as "–", never as a gap.
Legends sit above the plot area, never over the bars; the latency chart marks the p50 and
p95 of the summary (``metrics.percentile``), the figures the tables show.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence

from .explain import cell
from .runner import Record, reliability

BAR_METRICS = {"hit@5": "hit@5", "mrr@10": "MRR@10", "citation_precision": "citation precision",
               "citation_recall": "citation recall", "must_mention": "must mention",
               "refusal_accuracy": "refusal accuracy", "passed": "passed"}
WIDTH = 5.2  # inches: about 500 px on a desktop, scaled to 370 on a 390-px phone
FONT = 10


def _svg(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


def _legend_above(ax, ncol: int) -> None:
    """The legend in a row above the plot area: outside the data, whatever the bars."""
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.01), ncol=max(1, min(ncol, 4)),
              frameon=False, fontsize=FONT - 1, borderaxespad=0.2)


def latency_title(summary: Mapping) -> str:
    return (f"Latency per question (p50 {cell(summary.get('latency_p50_ms'), 'latency')} ms, "
            f"p95 {cell(summary.get('latency_p95_ms'), 'latency')} ms)")


RC = {"svg.fonttype": "none", "font.size": FONT}  # text stays text, at a readable size


def _setup():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def charts(summary: Mapping, per_lang: Mapping[str, Mapping], records: Sequence[Record]
           ) -> list[tuple[str, str]]:
    """(title, SVG data URI) of each chart: key metrics by question language, latency, and
    confidence against the share right."""
    plt = _setup()
    with plt.rc_context(RC):
        return _charts(plt, summary, per_lang, records)


def _charts(plt, summary: Mapping, per_lang: Mapping[str, Mapping], records: Sequence[Record]
            ) -> list[tuple[str, str]]:
    import numpy as np

    out = []
    langs = list(per_lang)
    rows = list(BAR_METRICS)
    height = 0.8 / max(len(langs), 1)
    fig, ax = plt.subplots(figsize=(WIDTH, 0.32 * len(rows) * max(len(langs), 2) + 0.8))
    y = np.arange(len(rows))
    for i, lang in enumerate(langs):
        vals = [per_lang[lang].get(k) for k in rows]
        pos = y + i * height
        ax.barh(pos, [v or 0 for v in vals], height,
                label=f"{lang} (n={per_lang[lang]['questions']})")
        for p, v in zip(pos, vals, strict=True):  # 0 reads as 0, undefined as "–"
            ax.text((v or 0) + 0.01, p, "–" if v is None else f"{v:.2f}", va="center",
                    fontsize=FONT - 2)
    ax.set_yticks(y + height * (len(langs) - 1) / 2, [BAR_METRICS[k] for k in rows])
    ax.invert_yaxis()
    ax.set_xlim(0, 1.12)
    ax.set_xlabel("share (1 = all)")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    _legend_above(ax, len(langs))
    out.append(("Key metrics by question language", _svg(fig)))

    fig, ax = plt.subplots(figsize=(WIDTH, 2.6))
    lat = [r.latency_ms for r in records]
    ax.hist(lat, bins=min(30, max(5, len(lat) // 2)), color="#6b8afd")
    for key, style, name in (("latency_p50_ms", "-", "p50"), ("latency_p95_ms", "--", "p95")):
        if summary.get(key) is not None:
            ax.axvline(summary[key], color="#333", linestyle=style, linewidth=1.2,
                       label=f"{name} {cell(summary[key], 'latency')} ms")
    ax.set_xlabel("latency per question (ms)")
    ax.set_ylabel("questions")
    _legend_above(ax, 2)
    out.append((latency_title(summary), _svg(fig)))
    out.append(("Confidence against the share answered right (answers given)",
                reliability_chart(records)))
    return out


def reliability_chart(records: Sequence[Record]) -> str:
    """Bars: the share of answers in each confidence bin that passed, with the count; the
    diagonal is where a calibrated confidence would put them."""
    plt = _setup()
    with plt.rc_context(RC):
        return _reliability(plt, records)


def _reliability(plt, records: Sequence[Record]) -> str:
    bins = reliability(list(records))
    fig, ax = plt.subplots(figsize=(WIDTH, 2.8))
    mids = [(lo + hi) / 2 for lo, hi, _, _ in bins]
    shares = [share or 0.0 for _, _, _, share in bins]
    ax.bar(mids, shares, width=0.18, color="#6b8afd", label="share right")
    ax.plot([0, 1], [0, 1], color="#333", linestyle="--", linewidth=1, label="calibrated")
    for x, (_, _, n, share) in zip(mids, bins, strict=True):
        ax.annotate(f"n={n}" if share is not None else "none", (x, (share or 0.0) + 0.02),
                    ha="center", fontsize=FONT - 1)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.12)
    ax.set_xlabel("confidence shown")
    ax.set_ylabel("share right")
    _legend_above(ax, 2)
    return _svg(fig)
