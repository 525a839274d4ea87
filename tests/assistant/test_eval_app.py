"""The command and the page's Evaluation tab run a test set through one function
(``assistant.app.evaluate.evaluate``) and show the same figures, whatever the app answered
before (the served app has answered its warm-up and its visitors; the command starts fresh)."""

from __future__ import annotations

import pytest

from assistant.app.evaluate import evaluate, page_result
from eval import verdict
from eval.explain import QUESTION_HEADERS
from eval.gate import BASELINE

pytestmark = pytest.mark.slow


def figures(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if not k.startswith("latency")}


def test_an_evaluation_does_not_depend_on_the_questions_asked_before(bundled_assistant):
    from assistant.engine.service import Assistant

    served = bundled_assistant
    # what a served page's app has done before its Evaluation tab runs: serve's warm-up and
    # a visitor's questions, whose sentence vectors stay cached
    served.ask("warm-up")
    served.ask("Which years does the action plan signed in Ankara cover?")
    again = evaluate(served, baseline=BASELINE, progress=False)
    fresh = Assistant(served.config, embedders=served.embedders)  # as the command starts
    first = evaluate(fresh, baseline=BASELINE, progress=False)
    assert figures(again.summary) == figures(first.summary)
    assert [r.passed for r in again.records] == [r.passed for r in first.records]
    assert first.gate is not None and first.gate.passed  # the committed baseline holds

    html, rows = page_result(again, charts=False)
    line = verdict(again.summary, again.gate)
    assert line.startswith(f"{sum(r.passed for r in again.records)}/90 passed")
    assert all(x in again.text().splitlines() for x in line.splitlines())
    assert "Quality against the targets" in html and again.gate.words()[1:] in html
    # 5 articles: hit@5, hit@10 and recall@10 cannot discriminate, and say so
    assert again.summary["not_discriminating"] == ["hit@5", "hit@10", "recall@10"]
    assert len(rows) == 90 and all(len(r) == len(QUESTION_HEADERS) for r in rows)
    assert not again.missing and not again.notes
