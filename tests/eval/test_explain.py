"""The evaluation in words and the report built from it, on small real records (no models):
why each question failed, the verdict line, the glossary, and the same figures in the text
the command prints and in the HTML the report and the page show."""

from __future__ import annotations

import re

import pytest

from eval import by_language, check, failure_reasons, summarize, verdict
from eval.charts import latency_title
from eval.explain import (
    GLOSSARY,
    KINDS,
    QUESTION_HEADERS,
    failures,
    kind,
    quality,
    question_rows,
    reason_counts,
    shown,
    undiscriminating,
)
from eval.report import columns, render, report_body, text_report
from eval.runner import HEADLINE, Record, score
from eval.testset import TestItem

TEXTS = {"a": "Kubanychbek Omuraliev met labour ministers in Baku on Saturday.",
         "b": "It rained in Hamburg all Monday."}
TITLES = {"a": "OTS chief visits Baku", "b": "Rain in Hamburg"}


def cite(n: int, doc: str, quote: str | None = None) -> dict:
    quote = quote or TEXTS[doc]
    start = TEXTS[doc].index(quote)
    return {"n": n, "doc_id": doc, "title": TITLES[doc], "quote": quote, "start": start,
            "end": start + len(quote)}


def record(item: TestItem, text: str, cites: list[dict], ranked: list[str],
           latency: float = 10.0) -> Record:
    answer = {"answer": text, "answerable": bool(cites), "citations": cites}
    return Record(item, answer, ranked, latency, score(item, answer, ranked, TEXTS))


WHO = TestItem("en-1", "Who met the labour ministers in Baku?", "en", True, ("a",),
               must_mention=(("Omuraliev", "Омуралиев"), ("Baku", "Баку")))
RAIN = TestItem("un-1", "Who will win the 2030 World Cup?", "en", False)


@pytest.fixture
def records() -> list[Record]:
    return sample_records()


def sample_records() -> list[Record]:
    """One of each outcome: a pass, a wrong answer to an unanswerable question, a wrong
    refusal, a wrong article cited, a fact missing, and a refusal that was right."""
    return [
        record(WHO, "Kubanychbek Omuraliev met labour ministers in Baku. [1]", [cite(1, "a")],
               ["a", "b"], 20.0),
        record(RAIN, "It rained in Hamburg. [1]", [cite(1, "b")], ["b"], 30.0),
        record(TestItem("en-2", "Where did Omuraliev meet the ministers?", "en", True, ("a",)),
               "Not in the corpus.", [], ["b", "a"], 40.0),
        record(TestItem("de-1", "Wer traf die Minister?", "de", True, ("a",)),
               "It rained in Hamburg. [1]", [cite(1, "b")], ["b", "a"], 50.0),
        record(TestItem("de-2", "Wo fand das Treffen statt?", "de", True, ("a",),
                        must_mention=(("Baku", "Баку"), ("Samstag", "Saturday"))),
               "Omuraliev met labour ministers. [1]", [cite(1, "a", "Kubanychbek Omuraliev")],
               ["a"], 60.0),
        record(TestItem("un-2", "Wer gewinnt die WM 2030?", "de", False), "Not in the corpus.",
               [], ["b"], 70.0),
    ]


def test_each_kind_of_failure_is_said_in_words(records):
    passed, answered, refused, wrong_doc, missing, right_refusal = records
    assert failure_reasons(passed) == [] and failure_reasons(right_refusal) == []
    assert failure_reasons(answered) == [
        "should have refused: the corpus does not answer this, but it answered from 1 article"]
    assert failure_reasons(refused, TITLES) == [
        "refused wrongly: a “OTS chief visits Baku” answers it (it was retrieved at rank 2)"]
    assert failure_reasons(wrong_doc, TITLES) == [
        "wrong article: cited b “Rain in Hamburg” instead of a “OTS chief visits Baku”"]
    # the quote holds neither "Baku" nor "Samstag"; each missing group is named once
    assert failure_reasons(missing) == ["fact missing: “Baku” or “Баку”",
                                        "fact missing: “Samstag” or “Saturday”"]


def test_an_expected_article_outside_the_top_5_is_a_wrong_article():
    rec = record(WHO, "It rained. [1]", [cite(1, "b")], ["b", "c", "d", "e", "f", "a"])
    reasons = failure_reasons(rec)
    assert reasons[0] == "wrong article: a not in the top 5 retrieved (b, c, d, e, f)"
    assert [kind(x) for x in reasons] == ["wrong article", "fact missing", "fact missing"]
    refused = record(WHO, "Not in the corpus.", [], ["b", "c", "d", "e", "f", "a"])
    assert failure_reasons(refused) == ["refused wrongly: a answers it (it was only retrieved "
                                        "at rank 6, below the top 5)"]


def test_failures_come_most_serious_kind_first_with_counts(records):
    failed = failures(records)
    assert [r.item.id for r, _ in failed] == ["un-1", "en-2", "de-1", "de-2"]
    assert reason_counts(failed) == [(k, 1) for k in KINDS]
    rows = question_rows(records)
    assert all(len(row) == len(QUESTION_HEADERS) for row in rows)
    assert [row[0] for row in rows] == ["un-1", "en-2", "de-1", "de-2", "en-1", "un-2"]
    assert rows[0][2] == "no" and rows[0][3].startswith("should have refused")
    assert rows[-1][2:4] == ["yes", ""] and rows[1][5] == "refused"


def test_two_verdicts_quality_against_targets_and_the_gate_apart(records):
    summary = summarize(records)
    first = verdict(summary)
    assert first.startswith("2/6 passed (33 %); quality against the targets: ")
    assert "must_mention 0.500, target ≥ 0.75: red" in first and "\n" not in first
    same = check(summary, summary, 0.06, "eval/baseline.json")
    assert verdict(summary, same) == (f"{first}\nregression gate: no regression against "
                                      "eval/baseline.json (tolerance 0.06)")
    better = {**summary, "must_mention": 0.9, "false_refusal_rate": 0.0}
    gate = check(summary, better, 0.06, "base.json")
    assert not gate.passed and [c.metric for c in gate.regressions] == [
        "must_mention", "false_refusal_rate"]
    line = verdict(summary, gate).splitlines()[1]
    assert line.startswith("regression gate: REGRESSION against base.json (tolerance "
                           "0.06): must_mention fell 0.400 (0.900 → 0.500); ")
    assert line.endswith("; false_refusal_rate rose 0.250 (0.000 → 0.250)")
    assert "passed" not in line  # the gate never says "passed"


def test_each_target_is_green_amber_or_red():
    colours = {k: c for k, _, _, c in quality({
        "must_mention": 0.75, "refusal_accuracy": 0.80, "false_refusal_rate": 0.20,
        "confident_wrong": 1})}
    assert colours == {"must_mention": "green", "refusal_accuracy": "amber",
                       "false_refusal_rate": "red", "confident_wrong": "amber"}


def test_metrics_that_cannot_discriminate_say_so():
    summary = {"hit@1": 0.8, "hit@5": 1.0, "hit@10": 1.0, "recall@10": 1.0, "mrr@10": 0.9}
    assert undiscriminating(summary, 5) == ["hit@5", "hit@10", "recall@10"]
    assert undiscriminating(summary, 100) == []
    summary["not_discriminating"] = undiscriminating(summary, 5)
    assert shown(summary, "hit@5") == "n/a" and shown(summary, "hit@1") == "0.800"


def test_every_metric_shown_has_a_plain_sentence():
    summary = {"llm_answers": 0.5, "sentences_removed": 2.0}
    assert set(columns(summary)) <= set(GLOSSARY)
    assert set(HEADLINE) <= set(GLOSSARY)
    assert all(s.endswith(".") and 30 < len(s) < 250 for s in GLOSSARY.values())


def test_report_reads_top_down_and_says_what_the_text_says(records):
    summary, per_lang = summarize(records), by_language(records)
    gate = check(summary, summary, 0.06, "eval/baseline.json")
    body = report_body(summary, per_lang, records, gate, charts=False)
    text = text_report(summary, per_lang, records, gate)
    line = "regression gate: no regression against eval/baseline.json (tolerance 0.06)"
    assert line in text.splitlines() and "Regression gate: no regression" in body
    assert "2/6 passed (33 %). <b>Quality against the targets: 1 of 4 met.</b>" in body
    assert "ev-ok" not in body and "<tr class='ev-red'><th" in body  # no green for the gate
    # the verdicts, the compact table, the failures, then the passes (folded), the glossary
    order = [body.index(x) for x in (
        "Quality against the targets", "Regression gate", "<table class='ev-compact'>",
        "Failures (4)", "id='q-un-1'", "id='q-en-2'",
        "id='q-de-1'", "id='q-de-2'", "<summary>Passed (2)", "<td>en-1</td>", "<td>un-2</td>",
        "What the numbers mean")]
    assert order == sorted(order)
    for rec in records:
        for reason in failure_reasons(rec, TITLES):
            assert reason in body and reason in text
    for key in columns(summary):
        assert f"<dt>{key}</dt>" in body
    # the same per-language counts in the HTML table and in the text
    assert re.search(r"<th>de</th><td class='num'>1/3</td>", body)
    assert re.search(r"^passed\s+0\.333\s+0\.333\s+0\.333$", text, re.M)
    assert "<img" not in body


def test_the_report_page_fits_a_phone_and_its_chart_titles_match_the_table(records):
    summary = summarize(records)
    page = render(summary, by_language(records), records, "T <x>")
    assert "width=device-width, initial-scale=1" in page and "T &lt;x&gt;" in page
    assert page.count("data:image/svg+xml;base64,") == 3  # key metrics, latency, reliability
    # nearest-rank percentiles, as in the table: 6 latencies, p50 is the 3rd, p95 the 6th
    assert latency_title(summary) == "Latency per question (p50 40 ms, p95 70 ms)"
    assert "Latency per question (p50 40 ms, p95 70 ms)" in page


def test_confidence_is_checked_against_the_share_answered_right(records):
    """Answers given with a confidence land in its bin; refusals are left out; a wrong answer
    at 0.8 or more is counted as confidently wrong."""
    from eval.runner import reliability

    passed, answered, refused, wrong_doc, missing, right_refusal = records
    for rec, conf in ((passed, 0.9), (answered, 0.85), (wrong_doc, 0.3), (missing, 0.35),
                      (refused, 0.95), (right_refusal, 0.1)):
        rec.answer["confidence"] = conf
    bins = {(lo, hi): (n, share) for lo, hi, n, share in reliability(records)}
    assert bins[(0.2, 0.4)] == (2, 0.0)  # two wrong answers at 0.3-0.35
    assert bins[(0.8, 1.0)] == (2, 0.5)  # one right at 0.9, one wrong at 0.85
    assert bins[(0.0, 0.2)] == (0, None)  # the refusal at 0.1 is not an answer
    assert summarize(records)["confident_wrong"] == 1


def test_the_charts_scale_to_a_phone_and_draw_a_zero_as_zero(records):
    """SVG with text as text: about 500 px wide (370 on a phone, labels at 10 pt stay over
    8 px), every bar labelled, so a 0 is drawn as "0.00" and an undefined value as "–"."""
    import base64
    import re

    from eval.charts import charts

    summary, per_lang = summarize(records), by_language(records)
    per_lang["de"]["citation_precision"] = 0.0
    per_lang["en"]["refusal_accuracy"] = None
    (name, uri), *_ = charts(summary, per_lang, records)
    svg = base64.b64decode(uri.split(",", 1)[1]).decode()
    width = float(re.search(r'<svg[^>]* width="([\d.]+)pt"', svg)[1])
    assert 300 < width * 96 / 72 < 560  # px at 96 dpi: fits a desktop column, scales down
    labels = re.findall(r">([^<>]+)</text>", svg)
    assert "0.00" in labels and "–" in labels and "must mention" in labels
    assert re.search(r"font-size: ?(1[0-9](\.\d+)?|9(\.\d+)?)px", svg)  # text, not paths
