"""Where things land, at 1280 px and on a 390-px phone: a new answer's first line (the short
answer) is in view, however long the answer; the Corpus tab's table fits a desktop and
scrolls sideways on a phone, saying so. Screenshots go to out/ui/."""

from __future__ import annotations

import pytest

from .helpers import ask, shot

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

FIRST_LINE = 30  # px of the answer's top that must be inside the chat box and the screen


def answer_box(pg) -> dict:
    """The last answer's top, and the chat's scrolling box (its top below the floating
    "Conversation" label), in viewport pixels."""
    return pg.evaluate("""() => {
      const all = document.querySelectorAll('#chat .answer, #chat .refusal');
      const last = all[all.length - 1];
      let box = last.parentElement;
      while (box && !(['auto', 'scroll'].includes(getComputedStyle(box).overflowY)
                      && box.scrollHeight > box.clientHeight)) box = box.parentElement;
      const b = box.getBoundingClientRect();
      const label = document.querySelector('#chat [data-testid="block-label"], '
                                           + '#chat .block-label, #chat label');
      return {top: last.getBoundingClientRect().top, height: last.offsetHeight,
              box_top: Math.max(b.top, label ? label.getBoundingClientRect().bottom : b.top),
              box_bottom: b.bottom, screen: innerHeight};}""")


def test_a_new_answer_shows_its_first_line(any_page):
    pg, width = any_page, any_page.width_name
    for question in ("Who is the Secretary-General of the Organization of Turkic States?",
                     "Какие годы охватывает план мероприятий, подписанный в Анкаре?"):
        ask(pg, question)
        pg.wait_for_timeout(300)  # the last re-render
        got = answer_box(pg)
        bottom = min(got["box_bottom"], got["screen"])
        assert got["box_top"] - 1 <= got["top"] <= bottom - FIRST_LINE, (question, got)
    shot(pg, f"answer-first-line-{width}")


def test_the_corpus_table_fits_a_desktop_and_scrolls_sideways_on_a_phone(any_page):
    pg, width = any_page, any_page.width_name
    pg.get_by_role("tab", name="Corpus").click()
    pg.locator("#articles th").first.wait_for()
    got = pg.evaluate("""() => {
      const a = document.querySelector('#articles');
      const view = a.querySelector('.virtual-table-viewport') || a;
      return {right: a.getBoundingClientRect().right,
              heads: [...a.querySelectorAll('th')].map(th => th.getBoundingClientRect().right),
              scroll: view.scrollWidth, client: view.clientWidth,
              overflow: getComputedStyle(view).overflowX,
              hint: getComputedStyle(a, '::before').content,
              page: document.documentElement.scrollWidth};}""")
    assert got["page"] <= pg.viewport_size["width"] + 2  # the page itself never widens
    if width == "desktop":  # every column in sight: lang, date, site, source and chunks too
        assert len(got["heads"]) == 7 and max(got["heads"]) <= got["right"] + 1, got
        assert got["scroll"] <= got["client"] + 2, got
    else:  # too narrow for seven columns: the table scrolls, and says it does
        assert got["scroll"] > got["client"] and got["overflow"] in ("auto", "scroll"), got
        assert "sideways" in got["hint"], got
    shot(pg, f"corpus-table-{width}")
