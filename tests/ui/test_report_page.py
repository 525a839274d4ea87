"""The evaluation reads in a minute, at desktop width and on a phone: the standalone report
(`eval --report`) and the page's Evaluation tab, which show the same fragment. Screenshots go
to out/ui/ (CI artifacts)."""

from __future__ import annotations

import re

import pytest

from eval import by_language, summarize
from eval.report import render
from tests.eval.test_explain import sample_records

from .helpers import WIDTHS, shot

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
REASON = r"(should have refused|refused wrongly|wrong article|fact missing)"


def fits(pg) -> bool:
    return pg.evaluate("document.documentElement.scrollWidth") <= pg.viewport_size["width"] + 2


def first_screen_says_how_good_and_why(pg) -> None:
    """The verdict line in view without scrolling; the first card below it is a failure
    that says why in words; passes and the full table are folded."""
    verdict = pg.locator(".ev-verdict").first
    box = verdict.bounding_box()
    assert box["y"] + box["height"] <= pg.viewport_size["height"]
    assert re.search(r"\d+/\d+ passed \(\d+ %\)", verdict.inner_text())
    card = pg.locator(".ev-card").first
    reasons = card.locator(".ev-reasons li").all_inner_texts()
    assert reasons and all(re.match(REASON, r) for r in reasons)
    said = card.inner_text().lower()  # the headings are set in capitals
    assert "answer" in said and "expected" in said
    for folded in (".ev-passes", ".ev-metrics", ".ev-glossary"):
        assert pg.locator(folded).first.get_attribute("open") is None, folded
    assert fits(pg)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_report_page_reads_top_down_at_both_widths(browser, width):
    records = sample_records()
    summary = summarize(records)
    page = render(summary, by_language(records), records, "Evaluation: sample")
    w, h = WIDTHS[width]
    ctx = browser.new_context(viewport={"width": w, "height": h}, is_mobile=width == "phone")
    pg = ctx.new_page()
    pg.set_content(page)
    first_screen_says_how_good_and_why(pg)
    failed = sum(not r.passed for r in records)
    assert f"Failures ({failed})" in pg.inner_text("body")
    shot(pg, f"report-{width}")
    for folded in pg.locator("details").all():  # opened, nothing widens the page
        folded.locator("summary").first.click()
    assert "What the numbers mean" in pg.inner_text("body") and fits(pg)
    for img in pg.locator("img").all():  # the charts fit the screen, their text readable:
        shown = img.bounding_box()["width"]  # 10-point labels shrink by at most a third
        natural = img.evaluate("i => i.naturalWidth")
        assert shown <= w and shown >= 0.66 * natural, (shown, natural)
    ctx.close()


def test_the_evaluation_tab_shows_the_report_of_the_command(page):
    page.get_by_role("tab", name="Evaluation").click()
    assert not page.locator("#eval-upload").is_visible()  # until "Uploaded test set"
    page.get_by_label("Uploaded test set").check()
    page.locator("#eval-upload").wait_for()
    page.get_by_label("Shipped test set (seed_qa.jsonl)").check()
    page.click("#eval-run")
    page.wait_for_function(
        "document.querySelector('#eval-headline').innerText.includes('passed')",
        timeout=300_000)
    head = page.inner_text("#eval-headline")
    n = int(re.search(r"(\d+)/90 passed", head)[1])
    # two verdicts: quality against the targets (coloured), the gate against the baseline
    assert re.search(r"Quality against the targets: \d of 4 met", head)
    assert re.search(r"Regression gate: (no regression|REGRESSION) against", head)
    assert page.locator(".ev-targets tr.ev-red, .ev-targets tr.ev-amber, .ev-targets "
                        "tr.ev-green").count() == 4
    assert "cannot discriminate here" in head  # hit@5 with 5 articles says n/a
    assert f"Failures ({90 - n})" in head
    page.evaluate("document.querySelector('.ev-verdict').scrollIntoView({block: 'start'})")
    first_screen_says_how_good_and_why(page)
    shot(page, "evaluation-tab-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    page.evaluate("document.querySelector('.ev-verdict').scrollIntoView({block: 'start'})")
    first_screen_says_how_good_and_why(page)
    shot(page, "evaluation-tab-phone")
    page.get_by_text("Every question (sortable table)").click()
    results = page.locator("#eval-results")
    results.wait_for()
    assert results.locator("[role=row]").count() >= 10  # rendered lazily as it scrolls
    assert re.search(REASON, results.inner_text())  # failures first, each with its reason
