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
    (item,), counts = items_of(tmp_path, feedback_record(turn("Who leads the OTS?"), "up"))
    assert (counts.likes, counts.dislikes, counts.skipped) == (1, 0, 0)
    assert item.answerable and item.expected_docs == ("a1", "b2") and item.lang == "en"
    assert item.reference == "Kubanychbek Omuraliev leads the OTS. He met ministers in Baku."
    assert item.extra["needs_review"] is False and item.question == "Who leads the OTS?"


def test_a_liked_refusal_is_an_unanswerable_item(tmp_path):
    (item,), _ = items_of(tmp_path, feedback_record(turn("Mars?", answered=False), "up"))
    assert not item.answerable and item.expected_docs == () and item.reference is None


def test_a_dislike_with_a_comment_is_marked_for_review_with_the_comment_as_fact(tmp_path):
    (item,), counts = items_of(tmp_path, feedback_record(
        turn("Who leads the OTS?"), "down", " Kubanychbek Omuraliev, not his deputy "))
    assert (counts.likes, counts.dislikes, counts.skipped) == (0, 1, 0)
    assert item.extra["needs_review"] is True and item.answerable
    assert item.reference == "Kubanychbek Omuraliev, not his deputy"
    assert item.expected_docs == ("a1", "b2") and item.extra["cited_docs"] == ["a1", "b2"]
    assert item.must_mention == () and "[1]" in item.extra["rejected_answer"]


def test_an_old_dislike_line_never_lends_its_rejected_answer_as_reference(tmp_path):
    old = feedback_record(turn("Who leads the OTS?"), "down", "wrong person")
    old["reference"] = "Kubanychbek Omuraliev leads the OTS."  # as the page wrote it before
    old["must_mention"] = [["Omuraliev"]]
    (item,), _ = items_of(tmp_path, old)
    assert item.reference == "wrong person" and item.must_mention == ()


@pytest.mark.parametrize("comment", ["This is not in the corpus", "no answer in these articles",
                                     "Should have refused.", "Этого нет в корпусе"])
def test_a_dislike_saying_there_is_no_answer_is_unanswerable(tmp_path, comment):
    assert says_no_answer(comment)
    (item,), _ = items_of(tmp_path, feedback_record(turn("Who leads the OTS?"), "down", comment))
    assert not item.answerable and item.expected_docs == () and item.reference is None
    assert item.extra["cited_docs"] == ["a1", "b2"] and item.extra["needs_review"]


def test_a_disliked_refusal_is_kept_for_review(tmp_path):
    assert not says_no_answer("wrong: it is in the corpus")
    (item,), _ = items_of(tmp_path, feedback_record(turn("Mars?", answered=False), "down",
                                                    "wrong: it is in the corpus"))
    assert not item.answerable and item.extra["needs_review"] and "review_note" in item.extra


def test_dislikes_without_comment_are_skipped_and_the_last_rating_wins(tmp_path):
    a, b, c = turn("Who leads the OTS?"), turn("Where did they meet?"), turn("Who spoke?")
    items, counts = items_of(
        tmp_path,
        feedback_record(a, "up"), feedback_record(a, "down", "not his deputy"),  # a: dislike
        feedback_record(b, "down"), feedback_record(b, "up"),  # b: like
        feedback_record(c, "up"), feedback_record(c, "down"),  # c: skipped
        feedback_record(turn("  who leads the   OTS? "), "down", "Omuraliev"))  # a again
    assert (counts.likes, counts.dislikes, counts.skipped) == (1, 1, 1)
    assert [(i.question, i.reference) for i in items] == [
        ("Where did they meet?", "Kubanychbek Omuraliev leads the OTS. He met ministers in Baku."),
        ("  who leads the   OTS? ", "Omuraliev")]


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
    assert capsys.readouterr().out == (f"wrote 2 items to {out}: 1 likes, 1 dislikes to "
                                       "review, 1 skipped (no comment)\n")
    assert [i.lang for i in load_testset(out)] == ["en", "de"]
    assert [p.name for p in out.parent.iterdir()] == ["items.jsonl"]  # no temporary file left
    assert run_feedback(store, out, as_json=True) == 0
    printed = capsys.readouterr()
    assert [json.loads(line)["lang"] for line in printed.out.splitlines()] == ["en", "de"]
    assert printed.err.startswith("wrote 2 items")


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
    out = tmp_path / "review.jsonl"
    res = run_cli("feedback", "--store", str(store), "--out", str(out), timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout == (f"wrote 3 items to {out}: 1 likes, 2 dislikes to review, "
                          "1 skipped (no comment)\n")
    items = {i.id: i for i in load_testset(out)}
    assert items["feedback-1"].reference == "Omuraliev leads the OTS."
    assert items["feedback-2"].reference == "Джамшид Абруев"
    assert items["feedback-2"].extra["needs_review"] and items["feedback-2"].answerable
    assert not items["feedback-3"].answerable and items["feedback-3"].expected_docs == ()
    res = run_cli("feedback", "--store", str(tmp_path / "nowhere"), timeout=60)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.startswith("error: no feedback file ") and res.stderr.count("\n") == 1
