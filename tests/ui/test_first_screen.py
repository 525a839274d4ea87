"""The page explains itself, at desktop width and on a phone: what is indexed and examples to
click on the first screen, refusals that say why in the question's language, and downloads
of the conversation in one click. Screenshots go to out/ui/ (CI artifacts)."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest

from assistant.app.ui.examples import CHECKED, sources_hint
from corpus.formats import SUFFIXES

from .helpers import WAIT, ask, current_sources, last_bubble, markers, open_filters, shot

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def in_view(pg, selector: str) -> bool:
    box = pg.locator(selector).first.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= pg.viewport_size[
        "height"]


def no_sideways_scroll(pg) -> bool:
    return pg.evaluate("document.documentElement.scrollWidth") <= pg.viewport_size["width"] + 2


def test_first_screen_says_what_is_indexed_and_examples_run_on_click(any_page, server):
    pg, width = any_page, any_page.width_name
    pg.wait_for_function("document.querySelector('#overview').innerText.includes('indexed')",
                         timeout=WAIT)
    overview = pg.inner_text("#overview")
    files = [p for p in Path(server["corpus"]).rglob("*") if p.suffix in SUFFIXES]
    assert f"{len(files)} articles indexed" in overview
    for language in ("Russian", "English", "German"):
        assert language in overview
    assert "2023-09 to 2025-12" in overview
    examples = pg.locator("#examples button.example")
    texts = [examples.nth(i).inner_text().strip() for i in range(examples.count())
             if examples.nth(i).is_visible() or width == "phone"]
    assert texts == [q for q, _ in CHECKED]  # en, ru, de, tr: the bundled corpus answers them
    # nothing to scroll to before asking: the question box and the Ask button are in view
    assert in_view(pg, "#question textarea") and in_view(pg, "#ask")
    assert no_sideways_scroll(pg)
    shot(pg, f"first-screen-{width}")
    examples.first.click()  # runs at once, as if typed and asked
    pg.wait_for_selector("#chat .answer.done", timeout=WAIT)
    assert pg.locator("#chat .question").first.inner_text().strip() == texts[0]
    assert markers(pg) and current_sources(pg)[0]["doc"] == "003_62d65ec01dcd1763"
    assert "Turkish Aerospace" in last_bubble(pg).inner_text()
    assert no_sideways_scroll(pg)
    shot(pg, f"example-answered-{width}")


def english_words(text: str) -> set[str]:
    """Latin-script words of three letters or more, the panel's name "Sources" aside."""
    return set(re.findall(r"[A-Za-z]{3,}", text)) - {"Sources"}


def test_refusals_say_why_once_in_the_questions_language(any_page):
    pg, width = any_page, any_page.width_name
    ask(pg, "Какое население было у колонии на Марсе в 2019 году?")
    bubble = last_bubble(pg)
    text = bubble.inner_text()
    assert "refusal" in bubble.get_attribute("class")
    assert text.startswith("В корпусе нет ответа")
    assert not english_words(text), f"English in a Russian refusal: {text}"
    assert text.count("не отвечает") == 1  # said once
    assert "Ближайшие найденные фрагменты" in pg.inner_text("#sources")
    shot(pg, f"refusal-ru-{width}")
    # a period with no article says so, in German for a German question
    open_filters(pg)
    pg.fill("#since textarea, #since input", "2024-01-01")
    pg.fill("#until textarea, #until input", "2024-12-31")
    ask(pg, "Wer ist der Generalsekretär der Organisation der Turkstaaten?")
    text = last_bubble(pg).inner_text()
    assert ("Nicht im Korpus: kein indexierter Artikel ist zwischen 2024-01-01 und 2024-12-31 "
            "datiert.") in text
    assert "Filter: 2024-01-01 – 2024-12-31" in last_bubble(pg).locator("xpath=..").inner_text()
    # an English question in the same period: the same reason, in English
    ask(pg, "Who is the Secretary-General of the Organization of Turkic States?")
    assert ("no indexed article is dated between 2024-01-01 and 2024-12-31"
            in last_bubble(pg).inner_text())
    shot(pg, f"refusal-period-{width}")
    # the source filter says what it offers, or why it offers nothing
    options = pg.locator("#filter-sources")
    assert any(hint in options.inner_text() for hint in (sources_hint([]), sources_hint(["x"])))
    assert no_sideways_scroll(pg)


def test_the_conversation_downloads_in_one_click(any_page, server):
    pg, width = any_page, any_page.width_name
    assert pg.locator("#export-md").is_disabled()  # nothing to download yet
    ask(pg, "Who is the Secretary-General of the Organization of Turkic States?")
    ask(pg, "What was the population of the Mars colony in 2019?")
    with pg.expect_download(timeout=WAIT) as dl:
        pg.click("#export-md")
    md = Path(dl.value.path()).read_text(encoding="utf-8")
    assert dl.value.suggested_filename.endswith(".md")
    assert md.startswith("# Conversation")
    assert "## 1. Who is the Secretary-General" in md and "## 2. What was the population" in md
    assert md.count("Not found in the corpus") == 1 and "Not in the corpus." not in md
    with pg.expect_download(timeout=WAIT) as dl:
        pg.click("#export-json")
    data = json.loads(Path(dl.value.path()).read_text(encoding="utf-8"))
    first, second = data["turns"]
    assert first["answerable"] and not second["answerable"] and first["citations"]
    for c in first["citations"]:  # each quote is the article's text at its offsets
        with urllib.request.urlopen(f"{server['url']}api/articles/{c['doc_id']}") as r:
            article = json.load(r)
        assert article["text"][c["start"]:c["end"]] == c["quote"]
        assert f"[{c['n']}]" in first["answer"]
    shot(pg, f"downloads-{width}")
