"""The evaluation in words: what each metric means, why a question failed, the verdict line.

Pure functions on records and summaries (no HTML, no plotting), shared by the command line's
text, the HTML report and the page's Evaluation tab, so all three say the same thing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from . import metrics as M
from .gate import Gate
from .runner import Record

# One plain sentence per metric shown anywhere (the table, the report, the page).
GLOSSARY: dict[str, str] = {
    "questions": "Questions asked: answerable ones plus those the corpus does not answer.",
    "passed": "Questions handled right: an answerable one answered (not refused) with an "
              "expected article in the top 5 retrieved, cited, and every must-mention fact "
              "in the answer; an unanswerable one refused.",
    "hit@1": "Share of answerable questions whose expected article is the first article "
             "retrieved.",
    "hit@5": "Share of answerable questions with an expected article among the first 5 "
             "articles retrieved.",
    "hit@10": "Share of answerable questions with an expected article among the first 10 "
              "articles retrieved.",
    "mrr@10": "Mean of 1 / rank of the first expected article in the top 10 (1: always first, "
              "0.5: second on average, 0: not in the top 10).",
    "ndcg@10": "Like MRR@10, but counting every expected article, each lower rank worth less; "
               "1 means all expected articles come first.",
    "recall@10": "Share of the expected articles found among the first 10 retrieved.",
    "citation_precision": "Share of the articles an answer cites that are expected ones "
                          "(answers with citations only).",
    "citation_recall": "Share of the expected articles the answer cites (0 for a wrong "
                       "refusal).",
    "citation_validity": "Share of citations whose quote is exactly the article's text at the "
                         "cited place.",
    "must_mention": "Share of the facts the test set requires (a name or number, in any of its "
                    "spellings) found in the answer or its quotes.",
    "f1": "Word overlap with the reference answer (token F1); low for long extractive answers "
          "even when they are right.",
    "support": "Share of answer sentences whose cited quote holds at least 80 % of the "
               "sentence's words.",
    "refusal_accuracy": "Share of unanswerable questions the assistant refused (said the "
                        "corpus does not answer them).",
    "false_refusal_rate": "Share of answerable questions it refused wrongly; lower is better.",
    "latency_p50_ms": "Median time to answer one question, in ms: half of the questions were "
                      "faster.",
    "latency_p95_ms": "95th-percentile time to answer one question, in ms: 95 % of the "
                      "questions were faster.",
    "confident_wrong": "Answers given with a confidence of 0.8 or more that did not pass (a "
                       "count): the answers that mislead most; the target is 0.",
    "llm_answers": "Share of answers the LLM wrote (LLM mode; the rest are extractive "
                   "answers or refusals).",
    "sentences_removed": "Sentences of the LLM's replies that verification removed because no "
                         "cited source backed them (a count).",
}

# Short column names for the compact table (the glossary keeps the full names); the soft
# hyphens (\u00ad) let a phone break the long words.
LABELS: dict[str, str] = {
    "passed": "passed", "hit@5": "hit@5", "citation_recall": "cita\u00adtion re\u00adcall",
    "must_mention": "must men\u00adtion", "refusal_accuracy": "re\u00adfusal acc.",
    "false_refusal_rate": "false re\u00adfusal", "latency_p50_ms": "p50 ms",
}
KEY_METRICS = list(LABELS)  # the compact table's columns, after the language

# The kinds of failure, in the order the report lists them.
KINDS = ("should have refused", "refused wrongly", "wrong article", "fact missing")


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


def passed_count(summary: Mapping) -> int:
    """How many questions passed (the summary keeps the share, to 4 places)."""
    return round((summary.get("passed") or 0.0) * (summary.get("questions") or 0))


def passed_cell(summary: Mapping) -> str:
    """"48/90"."""
    return f"{passed_count(summary)}/{summary.get('questions') or 0}"


# The product's quality targets (issue 28: what a user can trust), each (direction, target,
# how far off is still amber): must_mention and refusal_accuracy at least, the rest at most.
TARGETS: dict[str, tuple[str, float, float]] = {
    "must_mention": (">=", 0.75, 0.10), "refusal_accuracy": (">=", 0.90, 0.15),
    "false_refusal_rate": ("<=", 0.05, 0.03), "confident_wrong": ("<=", 0, 2),
}


def quality(summary: Mapping) -> list[tuple[str, float, str, str]]:
    """Each target: (metric, value, "≥ 0.75", "green" | "amber" | "red")."""
    out = []
    for key, (way, target, slack) in TARGETS.items():
        value = summary.get(key)
        if value is None:
            continue
        off = (target - value) if way == ">=" else (value - target)
        colour = "green" if off <= 1e-9 else "amber" if off <= slack + 1e-9 else "red"
        shown = f"{target:g}" if key == "confident_wrong" else f"{target:.2f}"
        out.append((key, value, f"{'≥' if way == '>=' else '≤'} {shown}", colour))
    return out


def quality_words(summary: Mapping) -> str:
    """"quality against the targets: 1 of 4 met (must_mention 0.627, target ≥ 0.75: red;
    ...)"."""
    rows = quality(summary)
    met = sum(c == "green" for *_, c in rows)
    parts = [f"{k} {cell(v, k)}, target {t}: {c}" for k, v, t, c in rows]
    return f"quality against the targets: {met} of {len(rows)} met ({'; '.join(parts)})"


def verdict(summary: Mapping, gate: Gate | None = None) -> str:
    """The result in two verdicts that never share a word: "48/90 passed (53 %); quality
    against the targets: ..." and, with a baseline, the regression gate's line."""
    line = f"{passed_words(summary)}; {quality_words(summary)}"
    return f"{line}\n{gate.words()}" if gate is not None else line


def passed_words(summary: Mapping) -> str:
    """"48/90 passed (53 %)"."""
    n, k = summary.get("questions") or 0, passed_count(summary)
    return f"{k}/{n} passed ({round(100 * k / n) if n else 0} %)"


def undiscriminating(summary: Mapping, articles: int) -> list[str]:
    """The metrics that cannot tell good retrieval from bad here: hit@k and recall@k with k
    at least the number of indexed articles (every article is in the top k)."""
    return [key for key in summary if key.startswith(("hit@", "recall@"))
            and key.partition("@")[2].isdigit() and int(key.partition("@")[2]) >= articles]


def shown(summary: Mapping, key: str) -> str:
    """One figure of a summary as the tables show it: "n/a" for a metric that cannot
    discriminate (``undiscriminating``, kept in ``not_discriminating``)."""
    if key in (summary.get("not_discriminating") or ()):
        return "n/a"
    return cell(summary.get(key), key)


# -- why a question failed ---------------------------------------------------------------
def doc_label(doc_id: str, titles: Mapping[str, str] | None = None) -> str:
    """An article as the reader knows it: its id, and its title where known."""
    title = (titles or {}).get(doc_id)
    if not title:
        return doc_id
    return f"{doc_id} “{title if len(title) <= 48 else title[:47].rstrip() + '…'}”"


def titles_of(records: Sequence[Record], known: Mapping[str, str] | None = None
              ) -> dict[str, str]:
    """Article titles: those given, and those the answers' citations carry."""
    out = {c["doc_id"]: c["title"] for r in records for c in r.answer.get("citations") or []
           if c.get("doc_id") and c.get("title")}
    return {**out, **(known or {})}


def cited_docs(record: Record) -> list[str]:
    return M.dedupe(c["doc_id"] for c in record.answer.get("citations") or [])


def missing_facts(record: Record) -> list[tuple[str, ...]]:
    """The must-mention groups found neither in the answer nor in its quotes."""
    if not record.item.answerable:
        return []
    if record.scores.get("refused"):  # a refusal mentions nothing
        return list(record.item.must_mention)
    text = record.answer.get("answer") or ""
    quotes = [c.get("quote", "") for c in record.answer.get("citations") or []]
    return [g for g in record.item.must_mention
            if M.must_mention_recall([g], text, quotes) == 0.0]


def _docs(ids: Sequence[str], titles: Mapping[str, str] | None, sep: str = ", ") -> str:
    return sep.join(doc_label(d, titles) for d in ids) or "nothing"


def _rank(ranked: Sequence[str], expected: set[str]) -> int | None:
    for i, d in enumerate(M.dedupe(ranked), start=1):
        if d in expected:
            return i
    return None


def failure_reasons(record: Record, titles: Mapping[str, str] | None = None) -> list[str]:
    """Why a question failed, in words, each starting with its kind (``KINDS``): "should have
    refused", "refused wrongly", "wrong article", "fact missing". Empty when it passed."""
    if record.passed:
        return []
    item, s = record.item, record.scores
    cited = cited_docs(record)
    if not item.answerable:
        return ["should have refused: the corpus does not answer this, but it answered"
                + (f" from {len(cited)} article{'s' if len(cited) > 1 else ''}" if cited else "")]
    expected = _docs(item.expected_docs, titles, " or ")
    rank = _rank(record.ranked_docs, set(item.expected_docs))
    if s.get("refused"):
        where = ("it was not retrieved" if rank is None else
                 f"it was retrieved at rank {rank}" if rank <= 5 else
                 f"it was only retrieved at rank {rank}, below the top 5")
        return [f"refused wrongly: {expected} answers it ({where})"]
    reasons = []
    if not s.get("hit@5"):
        top = M.dedupe(record.ranked_docs)[:5]
        reasons.append(f"wrong article: {expected} not in the top 5 retrieved "
                       f"({_docs(top, titles)})")
    elif not s.get("citation_recall"):
        reasons.append(f"wrong article: cited {_docs(cited, titles)} instead of {expected}")
    for group in missing_facts(record):
        reasons.append("fact missing: " + " or ".join(f"“{x}”" for x in group))
    return reasons or ["failed: see its scores"]


def kind(reason: str) -> str:
    """A reason's kind: the words before its colon."""
    return reason.split(":", 1)[0]


def failures(records: Sequence[Record], titles: Mapping[str, str] | None = None
             ) -> list[tuple[Record, list[str]]]:
    """The failed questions with their reasons, the most serious kind first, then by id."""
    out = [(r, failure_reasons(r, titles)) for r in records if not r.passed]
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(out, key=lambda f: (min(order.get(kind(x), len(KINDS)) for x in f[1]),
                                      f[0].item.id))


def reason_counts(failed: Sequence[tuple[Record, list[str]]]) -> list[tuple[str, int]]:
    """How many failed questions have each kind of reason, in ``KINDS`` order."""
    counts = Counter(k for _, reasons in failed for k in {kind(x) for x in reasons})
    return [(k, counts[k]) for k in (*KINDS, *sorted(set(counts) - set(KINDS))) if counts[k]]


def expected_text(record: Record) -> str:
    """What the test set expects, in one line."""
    item = record.item
    if not item.answerable:
        return "a refusal (the corpus does not answer this)"
    parts = []
    if item.must_mention:
        parts.append("must mention " + " and ".join(
            " or ".join(f"“{x}”" for x in g) for g in item.must_mention))
    if item.reference:
        parts.append(f"reference: {item.reference}")
    return "; ".join(parts) or "an answer citing " + ", ".join(item.expected_docs)


def short(text: str, limit: int = 300) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


# -- the same, as text and as table rows ---------------------------------------------------
def failure_lines(records: Sequence[Record], titles: Mapping[str, str] | None = None,
                  limit: int | None = 10) -> list[str]:
    """The failures for a terminal: "✗ en-03 (en) question" and one line per reason."""
    failed = failures(records, titles)
    lines = [f"failures ({len(failed)}): " + ", ".join(f"{k} {n}"
                                                      for k, n in reason_counts(failed))
             if failed else "failures: none"]
    for rec, reasons in failed[:limit]:
        lines.append(f"✗ {rec.item.id} ({rec.item.lang}) {short(rec.item.question, 90)}")
        lines += [f"    {x}" for x in reasons]
    if limit is not None and len(failed) > limit:
        lines.append(f"… and {len(failed) - limit} more (see the report)")
    return lines


QUESTION_HEADERS = ["id", "lang", "passed", "why it failed", "question", "outcome", "answer",
                    "expected", "ms"]


def question_rows(records: Sequence[Record], titles: Mapping[str, str] | None = None
                  ) -> list[list]:
    """One row per question for a table (``QUESTION_HEADERS``), failures first."""
    failed = failures(records, titles)
    done = {id(r) for r, _ in failed}
    ordered = failed + [(r, []) for r in sorted(records, key=lambda r: r.item.id)
                        if id(r) not in done]
    return [[r.item.id, r.item.lang, "yes" if r.passed else "no", "; ".join(reasons),
             r.item.question, "refused" if r.scores.get("refused") else "answered",
             short(r.answer.get("answer") or ""), expected_text(r), round(r.latency_ms)]
            for r, reasons in ordered]
