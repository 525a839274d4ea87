"""python -m assistant feedback: the chat page's ratings become test-set items to review.

Fast (no models, no store): the lines are written by ``feedback_record`` as the page does, or
by hand as an older page did; one test runs the real command line in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.app.feedback import (
    FEEDBACK_FILE,
    feedback_items,
    read_feedback,
    run_feedback,
    says_no_answer,
)
from assistant.engine.conversation import Turn, append_jsonl, feedback_record
from assistant.engine.model import Answer, Citation
from corpus import UsageError
from eval.testset import load_testset
from tests.conftest import run_cli

TEXT = "Kubanychbek Omuraliev leads the OTS. He met ministers in Baku."


def turn(question: str, answered: bool = True, lang: str = "en") -> Turn:
    if not answered:
        return Turn(question, question, Answer(question, "Not found in the corpus.", [], False,
                                               lang=lang), "")
    s1, s2 = "Kubanychbek Omuraliev leads the OTS.", "He met ministers in Baku."
    cites = [Citation(n=i, article_id=doc, title="t", date="2025-12-06", lang="en",
                      source=f"{doc}.txt", quote=s, chunk_id=f"{doc}#0", start=TEXT.index(s),
                      end=TEXT.index(s) + len(s), score=0.9)
             for i, (s, doc) in enumerate([(s1, "a1"), (s2, "b2")], 1)]
    return Turn(question, question, Answer(question, f"{s1} [1] {s2} [2]", cites, True,
                                           lang=lang), "")


def store_with(tmp_path: Path, *records: dict) -> Path:
    store = tmp_path / "store"
    for rec in records:
        append_jsonl(store / FEEDBACK_FILE, rec)
    return store


def items_of(tmp_path: Path, *records: dict):
    return feedback_items(read_feedback(store_with(tmp_path, *records) / FEEDBACK_FILE))


def test_a_like_becomes_an_item_as_it_stands(tmp_path):
    (item,), review, counts = items_of(tmp_path, feedback_record(turn("Who leads the OTS?"), "up"))
    assert (counts.likes, counts.dislikes, review) == (1, 0, [])
    assert item.answerable and item.expected_docs == ("a1", "b2") and item.lang == "en"
    assert item.reference == "Kubanychbek Omuraliev leads the OTS. He met ministers in Baku."
    assert item.extra["needs_review"] is False and item.question == "Who leads the OTS?"


def test_a_liked_refusal_is_an_unanswerable_item(tmp_path):
    (item,), _, _ = items_of(tmp_path, feedback_record(turn("Mars?", answered=False), "up"))
    assert not item.answerable and item.expected_docs == () and item.reference is None


def test_a_dislike_is_kept_apart_for_review_and_never_lends_what_it_cited(tmp_path):
    """The rejected answer's citations are no expected_docs, its text and the comment no
    reference; answerable is for the reviewer to say."""
    items, (item,), counts = items_of(tmp_path, feedback_record(
        turn("Who leads the OTS?"), "down", " Kubanychbek Omuraliev, not his deputy "))
    assert (items, counts.likes, counts.dislikes) == ([], 0, 1)
    assert item["needs_review"] is True and item["comment"] == (
        "Kubanychbek Omuraliev, not his deputy")
    assert not {"answerable", "expected_docs", "reference", "must_mention"} & set(item)
    assert item["rejected"]["cited_docs"] == ["a1", "b2"] and "[1]" in item["rejected"]["answer"]
    assert "set answerable and expected_docs" in item["review_note"]


def test_an_old_dislike_line_never_lends_its_rejected_answer_or_citations(tmp_path):
    old = feedback_record(turn("Who leads the OTS?"), "up")  # as the page wrote a dislike before
    old["feedback"] |= {"rating": "down", "comment": "wrong person", "needs_review": True}
    old["must_mention"] = [["Omuraliev"]]
    _, (item,), _ = items_of(tmp_path, old)
    assert not {"answerable", "expected_docs", "reference", "must_mention"} & set(item)
    assert item["rejected"]["cited_docs"] == ["a1", "b2"]


@pytest.mark.parametrize("comment", ["This is not in the corpus", "no answer in these articles",
                                     "Should have refused.", "Этого нет в корпусе"])
def test_a_dislike_saying_there_is_no_answer_says_so_to_the_reviewer(tmp_path, comment):
    assert says_no_answer(comment)
    _, (item,), _ = items_of(tmp_path, feedback_record(turn("Who leads the OTS?"), "down",
                                                       comment))
    assert "set answerable false" in item["review_note"] and "answerable" not in item


def test_a_dislike_without_comment_is_reviewed_too_and_the_last_rating_wins(tmp_path):
    a, b, c = turn("Who leads the OTS?"), turn("Where did they meet?"), turn("Who spoke?")
    items, review, counts = items_of(
        tmp_path,
        feedback_record(a, "up"), feedback_record(a, "down", "not his deputy"),  # a: dislike
        feedback_record(b, "down"), feedback_record(b, "up"),  # b: like
        feedback_record(c, "up"), feedback_record(c, "down"),  # c: dislike, no comment
        feedback_record(turn("  who leads the   OTS? "), "down", "Omuraliev"))  # a again
    assert (counts.likes, counts.dislikes) == (1, 2)
    assert [(i.question, i.reference) for i in items] == [
        ("Where did they meet?", "Kubanychbek Omuraliev leads the OTS. He met ministers in Baku.")]
    assert [(r["question"], r["comment"]) for r in review] == [
        ("Who spoke?", ""), ("  who leads the   OTS? ", "Omuraliev")]


def test_eval_refuses_a_test_set_with_items_to_review_unless_told_to_skip(tmp_path):
    path = tmp_path / "feedback.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in (
        feedback_record(turn("Who leads the OTS?"), "up"),
        feedback_record(turn("Who spoke?"), "down", "wrong"))), encoding="utf-8")
    with pytest.raises(UsageError, match=r"1 item\(s\) of .* still need review \(line 2 "
                       r"first.*--skip-unreviewed"):
        load_testset(path)
    assert [i.question for i in load_testset(path, skip_unreviewed=True)] == ["Who leads the OTS?"]


def test_missing_and_malformed_feedback_files_are_one_sentence_errors(tmp_path):
    with pytest.raises(UsageError, match="no feedback file .*rate answers"):
        read_feedback(tmp_path / FEEDBACK_FILE)
    path = tmp_path / FEEDBACK_FILE
    good = json.dumps(feedback_record(turn("Q?"), "up"))
    path.write_text(f"{good}\n\n{{not json\n", encoding="utf-8")
    with pytest.raises(UsageError, match="line 3 of .* is not valid JSON"):
        read_feedback(path)
    path.write_text(f'{good}\n{{"question": "Q?", "feedback": {{"rating": "meh"}}}}\n',
                    encoding="utf-8")
    with pytest.raises(UsageError, match="line 2 of .* is not a rating"):
        read_feedback(path)


def test_run_writes_a_loadable_test_set_atomically(tmp_path, capsys):
    store = store_with(tmp_path, feedback_record(turn("Who leads the OTS?"), "up"),
                       feedback_record(turn("Wer leitete?", lang="de"), "down", "Abruyev"),
                       feedback_record(turn("Who spoke?"), "down"))
    out = tmp_path / "deep" / "items.jsonl"
    assert run_feedback(store, out, as_json=False) == 0
    review = tmp_path / "deep" / "items-review.jsonl"
    assert capsys.readouterr().out == (
        f"wrote 1 test items to {out} and 2 items to review to {review} (eval refuses them "
        "until reviewed): 1 likes, 2 dislikes to review\n")
    assert [i.lang for i in load_testset(out)] == ["en"]
    assert [json.loads(x)["lang"] for x in review.read_text().splitlines()] == ["de", "en"]
    with pytest.raises(UsageError, match="still need review"):
        load_testset(review)
    assert sorted(p.name for p in out.parent.iterdir()) == ["items-review.jsonl",
                                                            "items.jsonl"]  # no temporary file
    assert run_feedback(store, out, as_json=True) == 0
    printed = capsys.readouterr()
    assert [json.loads(line)["lang"] for line in printed.out.splitlines()] == ["en", "de", "en"]
    assert printed.err.startswith("wrote 1 test items")


@pytest.mark.e2e
def test_the_command_line_reads_a_hand_written_feedback_file(tmp_path):
    store = tmp_path / "store"  # no index, no corpus: only the feedback file
    store.mkdir()
    lines = [
        {"id": "feedback-1", "question": "Who leads the OTS?", "lang": "en", "answerable": True,
         "expected_docs": ["a1"], "reference": "Omuraliev leads the OTS.",
         "feedback": {"rating": "up", "comment": "", "answer": "Omuraliev leads the OTS. [1]",
                      "citations": [{"n": 1, "doc_id": "a1", "quote": "Omuraliev leads"}]}},
        {"id": "feedback-2", "question": "Кто возглавлял делегацию?", "lang": "ru",
         "answerable": True, "expected_docs": ["b2"], "reference": "Бабаев. [1]",
         "feedback": {"rating": "down", "comment": "Джамшид Абруев", "answer": "Бабаев. [1]",
                      "citations": [{"n": 1, "doc_id": "b2", "quote": "Бабаев"}]}},
        {"id": "feedback-3", "question": "Population of Mars?", "lang": "en",
         "answerable": True, "expected_docs": ["c3"],
         "feedback": {"rating": "down", "comment": "not in the corpus", "answer": "Many. [1]",
                      "citations": [{"n": 1, "doc_id": "c3", "quote": "Many"}]}},
        {"id": "feedback-4", "question": "Who spoke?", "lang": "en", "answerable": True,
         "expected_docs": ["a1"], "feedback": {"rating": "down", "comment": ""}},
    ]
    (store / FEEDBACK_FILE).write_text(
        "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    out = tmp_path / "items.jsonl"
    res = run_cli("feedback", "--store", str(store), "--out", str(out), timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.endswith(": 1 likes, 3 dislikes to review\n")
    (item,) = load_testset(out)
    assert item.id == "feedback-1" and item.reference == "Omuraliev leads the OTS."
    review = {r["id"]: r for r in map(json.loads, (tmp_path / "items-review.jsonl")
                                      .read_text(encoding="utf-8").splitlines())}
    assert review["feedback-2"]["comment"] == "Джамшид Абруев"
    assert "expected_docs" not in review["feedback-2"]
    assert review["feedback-2"]["rejected"]["cited_docs"] == ["b2"]
    assert "set answerable false" in review["feedback-3"]["review_note"]
    res = run_cli("eval", "--testset", str(tmp_path / "items-review.jsonl"), timeout=60)
    assert res.returncode == 2 and "still need review" in res.stderr
    assert "Traceback" not in res.stderr
