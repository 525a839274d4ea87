"""The report's charts as self-contained PNG data URIs (matplotlib, imported on use).

Legends sit above the plot area, never over the bars; the latency chart marks the p50 and
p95 of the summary (``metrics.percentile``), the figures the tables show.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence

from .explain import cell
from .runner import Record, reliability

BAR_METRICS = {"hit@5": "hit@5", "mrr@10": "MRR@10", "citation_precision": "citation\nprecision",
               "citation_recall": "citation\nrecall", "must_mention": "must\nmention",
               "refusal_accuracy": "refusal\naccuracy", "passed": "passed"}


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _legend_above(ax, ncol: int) -> None:
    """The legend in a row above the plot area: outside the data, whatever the bars."""
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.01), ncol=max(1, min(ncol, 6)),
              frameon=False, fontsize=9, borderaxespad=0.2)


def latency_title(summary: Mapping) -> str:
    return (f"Latency per question (p50 {cell(summary.get('latency_p50_ms'), 'latency')} ms, "
            f"p95 {cell(summary.get('latency_p95_ms'), 'latency')} ms)")


def charts(summary: Mapping, per_lang: Mapping[str, Mapping], records: Sequence[Record]
           ) -> list[tuple[str, str]]:
    """(title, PNG data URI) of each chart: key metrics by question language, latency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    out = []
    langs = list(per_lang)
    fig, ax = plt.subplots(figsize=(9, 3.4))
    width = 0.8 / max(len(langs), 1)
    x = np.arange(len(BAR_METRICS))
    for i, lang in enumerate(langs):
        vals = [per_lang[lang].get(k) for k in BAR_METRICS]
        ax.bar(x + i * width, [v if v is not None else 0 for v in vals], width,
               label=f"{lang} (n={per_lang[lang]['questions']})")
    ax.set_xticks(x + width * (len(langs) - 1) / 2, list(BAR_METRICS.values()), fontsize=9)
    ax.set_ylim(0, 1.04)
    ax.set_ylabel("share (1 = all)")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    _legend_above(ax, len(langs))
    out.append(("Key metrics by question language", _png(fig)))

    fig, ax = plt.subplots(figsize=(9, 3))
    lat = [r.latency_ms for r in records]
    ax.hist(lat, bins=min(30, max(5, len(lat) // 2)), color="#6b8afd")
    for key, style, name in (("latency_p50_ms", "-", "p50"), ("latency_p95_ms", "--", "p95")):
        if summary.get(key) is not None:
            ax.axvline(summary[key], color="#333", linestyle=style, linewidth=1.2,
                       label=f"{name} {cell(summary[key], 'latency')} ms")
    ax.set_xlabel("latency per question (ms)")
    ax.set_ylabel("questions")
    _legend_above(ax, 2)
    out.append((latency_title(summary), _png(fig)))
    out.append(("Confidence against the share answered right (answers given)",
                reliability_chart(records)))
    return out


def reliability_chart(records: Sequence[Record]) -> str:
    """Bars: the share of answers in each confidence bin that passed, with the count; the
    diagonal is where a calibrated confidence would put them."""
    import matplotlib.pyplot as plt

    bins = reliability(list(records))
    fig, ax = plt.subplots(figsize=(6, 3.2))
    mids = [(lo + hi) / 2 for lo, hi, _, _ in bins]
    shares = [share or 0.0 for _, _, _, share in bins]
    ax.bar(mids, shares, width=0.18, color="#6b8afd", label="share right")
    ax.plot([0, 1], [0, 1], color="#333", linestyle="--", linewidth=1, label="calibrated")
    for x, (_, _, n, share) in zip(mids, bins, strict=True):
        ax.annotate(f"n={n}" if share is not None else "none", (x, (share or 0.0) + 0.02),
                    ha="center", fontsize=9)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.12)
    ax.set_xlabel("confidence shown")
    ax.set_ylabel("share right")
    _legend_above(ax, 2)
    return _png(fig)
