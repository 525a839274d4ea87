"""Metrics against hand-computed values, including the edge cases."""

import math

import pytest

from eval import metrics as M
from eval.runner import Record, score, summarize
from eval.testset import TestItem

A, B, C = "a", "b", "c"


def test_retrieval_metrics_dedupe_articles_and_match_hand_values():
    ranked = ["x", "x", "a", "y", "b"]  # distinct: x, a, y, b
    exp = {A, B}
    assert M.hit_at(ranked, exp, 1) == 0.0
    assert M.hit_at(ranked, exp, 2) == 1.0  # a is the 2nd distinct article
    assert M.mrr_at(ranked, exp) == 0.5
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3)
    assert M.ndcg_at(ranked, exp) == pytest.approx(dcg / idcg)
    assert M.recall_at(ranked, exp, 3) == 0.5 and M.recall_at(ranked, exp) == 1.0
    assert M.mrr_at(["x", "y"], exp) == 0.0
    assert M.hit_at(ranked, set(), 5) is None  # undefined for unanswerable questions


def test_citation_precision_recall_with_duplicates_and_none():
    assert M.citation_precision([A, A, C], {A, B}) == 0.5  # distinct {a, c}: 1 of 2
    assert M.citation_recall([A, A, C], {A, B}) == 0.5
    assert M.citation_precision([], {A}) is None  # no citations: undefined
    assert M.citation_recall([], {A}) == 0.0


def test_citation_validity():
    texts = {"d": "Hello brave new world."}
    good = {"doc_id": "d", "quote": "brave new", "start": 6, "end": 15}
    shifted = {"doc_id": "d", "quote": "brave new", "start": 5, "end": 14}
    unknown = {"doc_id": "zz", "quote": "x", "start": 0, "end": 1}
    assert M.citation_validity([good, good], texts) == 1.0
    assert M.citation_validity([good, shifted, unknown], texts) == pytest.approx(1 / 3)
    assert M.citation_validity([], texts) is None


def test_normalisation_works_for_cyrillic_and_latin():
    assert M.normalize("Ёлка, «Омуралиев»!  ÇALIŞMA") == "елка омуралиев çalişma"
    assert M.tokens("Anar Aliyev's co-op") == ["anar", "aliyev", "s", "co", "op"]


def test_must_mention_groups_any_script_word_start():
    groups = [["Omuraliev", "Омуралиев"], ["Baku", "Баку"]]
    assert M.must_mention_recall(groups, "Кубанычбеком Омуралиевым [1]", []) == 0.5
    assert M.must_mention_recall(groups, "", ["Omuraliev met in Baku"]) == 1.0
    assert M.must_mention_recall([["ran"]], "Iran", []) == 0.0  # not inside a word
    assert M.must_mention_recall([], "x", []) is None


def test_token_f1_hand_value_and_edges():
    # pred tokens: the minister anar aliyev ; ref: anar aliyev  -> p=2/4 r=1 f1=2/3
    assert M.token_f1("The minister Anar Aliyev [1]", "Anar Aliyev") == pytest.approx(2 / 3)
    assert M.token_f1("", "Anar") == 0.0  # empty answer
    assert M.token_f1("x", None) is None
    assert M.token_f1("Омуралиев", "омуралиев") == 1.0


def test_answer_sentences_and_support():
    ans = "Omuraliev is Secretary-General. [1][2] He visited Baku. [3] Unsupported tail"
    assert M.answer_sentences(ans) == [("Omuraliev is Secretary-General.", [1, 2]),
                                       ("He visited Baku.", [3]), ("Unsupported tail", [])]
    cites = [{"n": 1, "quote": "Something else entirely."},
             {"n": 2, "quote": "Omuraliev is Secretary-General of the OTS."},
             {"n": 3, "quote": "The weather."}]
    assert M.support(ans, cites) == pytest.approx(1 / 3)
    assert M.support("", cites) is None


def test_percentiles():
    assert M.percentile([10, 20, 30, 40], 50) == 20
    assert M.percentile([10, 20, 30, 40], 95) == 40
    assert M.percentile([], 50) is None
    assert M.mean([1.0, None, 0.0]) == 0.5 and M.mean([None]) is None


def _answer(text, cites, answerable=True):
    return {"answer": text, "answerable": answerable, "citations": cites}


def test_score_refused_answerable_and_unanswerable():
    item = TestItem("q", "Who?", "en", True, (A,), "Anar", (("Anar",),))
    s = score(item, _answer("Not found in the corpus.", [], answerable=False), [A], {})
    assert s["refused"] == 1.0 and s["citation_recall"] == 0.0
    assert s["must_mention"] == 0.0 and s["f1"] == 0.0 and s["support"] is None
    assert s["citation_precision"] is None and s["hit@1"] == 1.0
    un = TestItem("u", "Pop?", "en", False, ())
    s = score(un, _answer("x [1]", [{"n": 1, "doc_id": A, "quote": "x", "start": 0, "end": 1}]),
              [A], {A: "x"})
    assert s["refused"] == 0.0 and s["hit@5"] is None and s["citation_precision"] is None


def test_summary_refusal_rates_and_passed():
    ans_item = TestItem("q", "Who?", "en", True, (A,), None, (("Anar",),))
    un_item = TestItem("u", "Pop?", "de", False, ())
    cite = {"n": 1, "doc_id": A, "quote": "Anar Aliyev", "start": 0, "end": 11}
    good = _answer("Anar Aliyev [1]", [cite])
    refused = _answer("Not found.", [], answerable=False)
    texts = {A: "Anar Aliyev"}
    recs = [
        Record(ans_item, good, [A], 10.0, score(ans_item, good, [A], texts)),
        Record(ans_item, refused, [A], 30.0, score(ans_item, refused, [A], texts)),
        Record(un_item, refused, [B], 20.0, score(un_item, refused, [B], texts)),
        Record(un_item, good, [A], 40.0, score(un_item, good, [A], texts)),
    ]
    s = summarize(recs)
    assert s["refusal_accuracy"] == 0.5 and s["false_refusal_rate"] == 0.5
    assert s["citation_recall"] == 0.5 and s["must_mention"] == 0.5
    assert s["citation_precision"] == 1.0  # the refused answer has no citations: left out
    assert [r.passed for r in recs] == [True, False, True, False] and s["passed"] == 0.5
    assert (s["latency_p50_ms"], s["latency_p95_ms"]) == (20.0, 40.0)


def test_xquad_bench_counts_any_copy_and_other_language_copies():
    from benchmarks.xquad import measure, ranked_articles

    para_of = {"en/000": 0, "ru/000": 0, "en/001": 1, "ru/001": 1}
    qs = [("q0", "en", "?", 0), ("q1", "ru", "?", 1), ("q2", "tr", "?", 0)]
    rankings = [
        ranked_articles({"en/000#0": 0.9, "en/000#1": 0.8, "ru/000#0": 0.1}),  # copy at 2
        ranked_articles({"en/000#0": 0.9, "ru/001#0": 0.5}),  # same-language hit at 2
        ranked_articles({"en/001#0": 0.9}),  # miss
    ]
    assert rankings[0] == ["en/000", "ru/000"]
    m = measure(rankings, qs, para_of)  # means are rounded to 4 places
    assert m["R@1"] == pytest.approx(1 / 3, abs=1e-4) and m["R@5"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["xR@5"] == pytest.approx(1 / 3, abs=1e-4)  # only q0 has a copy in another language
    assert m["MRR@10"] == pytest.approx(1.5 / 3, abs=1e-4)
    assert (m["en MRR@10"], m["ru MRR@10"], m["tr MRR@10"]) == (1.0, 0.5, 0.0)
