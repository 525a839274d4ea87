"""Test-set parsing, importers, the gate and the report, without models."""

import json

import pytest

from corpus import UsageError, load_corpus
from eval import compare, import_beir, import_squad, load_testset
from eval.report import render
from eval.runner import Record, by_language, score, summarize
from eval.testset import TestItem
from tests.conftest import ROOT

SEED = ROOT / "eval" / "testsets" / "seed_qa.jsonl"


def test_seed_testset_meets_its_spec():
    items = load_testset(SEED)
    ids = {a.id: a.lang for a in load_corpus(ROOT / "corpus" / "articles")}
    assert len(items) >= 40
    assert {"en", "ru", "de", "tr"} <= {i.lang for i in items}
    unanswerable = [i for i in items if not i.answerable]
    assert len(unanswerable) >= 8
    assert sum("furniture" in i.extra.get("note", "") for i in unanswerable) >= 3
    cross = [i for i in items if i.answerable
             and all(ids[d] != i.lang for d in i.expected_docs)]
    assert len(cross) / len(items) >= 0.6
    for i in items:
        assert set(i.expected_docs) <= set(ids)
    dated = [i for i in items if "2023" in i.question and i.answerable]
    assert len(dated) >= 3


@pytest.mark.parametrize("line,match", [
    ('{"id": 1}', "lacks"),
    ('{"id": 1, "question": "q", "lang": "en", "answerable": "yes", "expected_docs": []}',
     "true or false"),
    ('{"id": 1, "question": "q", "lang": "en", "answerable": true, "expected_docs": []}',
     "at least one"),
    ('{"id": 1, "question": "q", "lang": "en", "answerable": false, "expected_docs": [],'
     ' "must_mention": ["x"]}', "must_mention"),
    ("[1, 2]", "not a JSON object"),
    ("{oops", "not valid JSON"),
])
def test_bad_testset_lines(tmp_path, line, match):
    p = tmp_path / "t.jsonl"
    p.write_text(line + "\n")
    with pytest.raises(UsageError, match=match):
        load_testset(p)


def test_squad_import_parallel_languages(tmp_path):
    def squad(q, a, ctx):
        return {"data": [{"title": "T", "paragraphs": [
            {"context": ctx, "qas": [{"id": "q1", "question": q,
                                      "answers": [{"text": a, "answer_start": 0}]}]}]}]}
    (tmp_path / "x.en.json").write_text(json.dumps(squad("Who?", "Anna", "Anna came home.")))
    (tmp_path / "x.ru.json").write_text(json.dumps(squad("Кто?", "Анна", "Анна пришла домой.")),
                                        encoding="utf-8")
    (tmp_path / "x.tr.json").write_text(json.dumps(squad("Kim?", "Anna", "Anna eve geldi.")))
    rep = import_squad([tmp_path / f"x.{lang}.json" for lang in ("en", "ru", "tr")],
                       tmp_path / "out", corpus_langs=["en", "ru"])
    assert rep.articles == 2 and rep.questions == 3
    arts = {a.id: a for a in load_corpus(tmp_path / "out" / "corpus")}
    assert set(arts) == {"en/000_00", "ru/000_00"} and arts["ru/000_00"].lang == "ru"
    items = {i.id: i for i in load_testset(tmp_path / "out" / "testset.jsonl")}
    assert items["q1-tr"].expected_docs == ("en/000_00", "ru/000_00")
    assert items["q1-ru"].reference == "Анна"
    assert set(items["q1-en"].must_mention[0]) == {"Anna", "Анна"}


def test_beir_import(tmp_path):
    src = tmp_path / "beir"
    (src / "qrels").mkdir(parents=True)
    (src / "corpus.jsonl").write_text(
        '{"_id": "d/1", "title": "Baku", "text": "Baku is a city on the Caspian Sea."}\n'
        '{"_id": "d2", "text": "Other."}\n')
    (src / "queries.jsonl").write_text('{"_id": "q1", "text": "Which city lies on the Caspian '
                                       'Sea?"}\n{"_id": "q2", "text": "no qrels"}\n')
    (src / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td/1\t1\n")
    rep = import_beir(src, tmp_path / "out")
    assert (rep.articles, rep.questions) == (2, 1)
    item = load_testset(tmp_path / "out" / "testset.jsonl")[0]
    assert item.expected_docs == ("d_1",) and item.lang == "en"
    assert {a.id for a in load_corpus(tmp_path / "out" / "corpus")} == {"d_1", "d2"}
    with pytest.raises(UsageError, match="not a BEIR folder"):
        import_beir(tmp_path / "nothing", tmp_path / "o2")


def test_gate_reports_regressions_beyond_tolerance():
    base = {"hit@5": 0.90, "false_refusal_rate": 0.10, "must_mention": 0.5, "f1": None}
    new = {"hit@5": 0.89, "false_refusal_rate": 0.20, "must_mention": 0.6, "f1": 0.3}
    changes, regressions = compare(new, base, tolerance=0.02)
    assert any(c.startswith("hit@5") and c.endswith("worse") for c in changes)
    assert any(c.startswith("must_mention") and c.endswith("better") for c in changes)
    assert [r.split(":")[0] for r in regressions] == ["false_refusal_rate"]


def test_default_tolerance_holds_the_measured_cpu_spread_and_catches_a_real_drop():
    """eval/gate_spread.json: the seed set run with every e5 backend and on the AVX-512 and
    AVX2 code paths (python -m benchmarks.gate_spread). Each of those passes the committed
    baseline's gate at the default tolerance; losing one answerable question more than the
    tolerance holds does not."""
    from assistant.app.cli import build_parser

    spread = json.loads((ROOT / "eval" / "gate_spread.json").read_text())
    baseline = json.loads((ROOT / "eval" / "baseline.json").read_text())["summary"]
    tolerance = build_parser().parse_args(["eval"]).tolerance
    assert tolerance == spread["tolerance"]
    assert len(spread["summaries"]) >= 3
    for label, summary in spread["summaries"].items():
        assert compare(summary, baseline, tolerance)[1] == [], label
    step = 1 / baseline["answerable"]
    lost = int(tolerance / step) + 1  # questions
    assert lost <= 6  # the gate still notices a handful of answers going wrong
    for key in ("must_mention", "citation_precision", "hit@1"):
        dropped = {**baseline, key: baseline[key] - lost * step}
        assert [r.split(":")[0] for r in compare(dropped, baseline, tolerance)[1]] == [key]


def test_report_is_self_contained_and_escapes(tmp_path):
    item = TestItem("x1", "<script>alert(1)</script>?", "en", True, ("a",))
    ans = {"answer": "A <b>bold</b> claim [1]", "answerable": True, "citations": [
        {"n": 1, "doc_id": "a", "quote": "<img src=x onerror=alert(1)>", "start": 0, "end": 29,
         "lang": "en", "date": None}]}
    texts = {"a": ans["citations"][0]["quote"]}
    rec = Record(item, ans, ["a"], 12.0, score(item, ans, ["a"], texts))
    page = render(summarize([rec]), by_language([rec]), [rec], "T")
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<img src=x" not in page and page.count("data:image/svg+xml;base64,") == 3


def test_any_system_that_speaks_the_answer_contract_can_be_scored():
    """eval takes a callable, not our engine: a system without a search endpoint is ranked
    by the articles it cites, and a quote that is not in the article is invalid."""
    from eval import run

    texts = {"a": "Omuraliev leads the OTS.", "b": "It rained in Hamburg."}
    items = [TestItem(id="q1", question="Who leads the OTS?", lang="en", answerable=True,
                      expected_docs=("a",), must_mention=(("Omuraliev",),)),
             TestItem(id="q2", question="Who won the 1930 World Cup?", lang="en",
                      answerable=False)]
    answers = {
        "Who leads the OTS?": {"answer": "Omuraliev leads the OTS. [1] [2]", "answerable": True,
                               "citations": [
                                   {"n": 1, "doc_id": "b", "quote": "Hamburg", "start": 0,
                                    "end": 7},
                                   {"n": 2, "doc_id": "a", "quote": "Omuraliev leads the OTS.",
                                    "start": 0, "end": 24}]},
        "Who won the 1930 World Cup?": {"answer": "Not in the corpus.", "answerable": False,
                                        "citations": []},
    }
    records = run(items, ask=answers.__getitem__, texts=texts, progress=False)
    assert records[0].ranked_docs == ["b", "a"]  # cited order stands for the ranking
    s = records[0].scores
    assert (s["hit@1"], s["hit@5"], s["citation_validity"], s["must_mention"]) == \
        (0.0, 1.0, 0.5, 1.0)
    assert records[1].passed and summarize(records)["refusal_accuracy"] == 1.0
