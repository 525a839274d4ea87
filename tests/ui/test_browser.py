"""The chat page driven in headless Chromium (Debian's, through Playwright) against a real
`python -m assistant serve` on the bundled corpus plus one article full of HTML.

Screenshots of the main states go to out/ui/ (CI artifacts); the time from question to first
streamed answer text and to the complete answer is written to out/ui/timings.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus import UsageError

from .helpers import (
    MARKUP_ID,
    WAIT,
    ask,
    current_sources,
    filter_language,
    last_bubble,
    markers,
    shot,
    upload_file,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

def test_answer_streams_with_markers_matching_sources(page):
    run = ask(page, "Who is the Secretary-General of the Organization of Turkic States?")
    lengths = [s[2] for s in run["states"] if not s[1]]
    assert len(set(lengths)) >= 2, "the answer arrived in one piece, not streamed"
    assert max(lengths) < len(last_bubble(page).inner_text())
    ns = markers(page)
    srcs = current_sources(page)
    assert ns, "the answer has no [n] markers"
    assert sorted(set(ns), key=int) == [s["n"] for s in srcs]
    text = last_bubble(page).inner_text()
    assert "Omuraliev" in text or "Омуралиев" in text
    for s in srcs:  # each source shows its quote highlighted inside the passage
        assert s["mark"] and s["mark"].strip() in text
    head = page.locator("#sources .src").first.inner_text()
    assert "2025-12-0" in head and ("(en)" in head or "(ru)" in head)
    shot(page, "chat-answer-1280")


def test_clicking_a_source_or_marker_opens_the_article_at_the_quote(page):
    ask(page, "Who led the Uzbek delegation that visited Azerbaijan's labour ministry in 2023?")
    src = page.locator("#sources .turn-sources.current .src").first
    quote = src.locator("mark").inner_text()
    src.click()
    viewer = page.locator("#article-viewer")
    viewer.wait_for(state="visible")
    active = viewer.locator("mark.q.active")
    assert active.count() == 1
    assert " ".join(active.inner_text().split()) == " ".join(quote.split())
    # the whole article is shown, not only the passage
    assert len(viewer.locator(".article-text").inner_text()) > 3 * len(quote)
    box, pane = active.bounding_box(), viewer.bounding_box()
    assert pane["y"] <= box["y"] and box["y"] + min(box["height"], 40) <= pane["y"] + pane["height"]
    shot(page, "article-open-1280")
    page.click("#article-close")
    viewer.wait_for(state="hidden")
    # the inline marker opens the same article at the same quote
    last_bubble(page).locator("a.cite").first.click()
    viewer.wait_for(state="visible")
    assert viewer.locator("mark.q.active").count() == 1
    assert page.evaluate("location.hash") == ""  # the marker did not navigate


def test_language_filter_is_applied_to_retrieval_and_shown(page):
    question = "Who did the Azerbaijani labour minister meet?"
    ask(page, question)
    unfiltered = {s["lang"] for s in current_sources(page)}
    assert unfiltered - {"de"}, "pick a question whose sources are not all German"
    filter_language(page, "German")
    ask(page, question)
    srcs = current_sources(page)
    assert srcs and all(s["lang"] == "de" or (s["closest"]) for s in srcs)
    docs = {s["doc"] for s in srcs}
    assert docs == {"004_cc687050a2df2a4e"}
    assert "Filters: de" in last_bubble(page).locator("xpath=..").inner_text()


def test_date_filter_is_applied_and_a_bad_date_is_explained(page):
    page.click("#filters > button")
    page.fill("#since textarea, #since input", "2025-13-01")
    page.fill("#question textarea", "Who did the Azerbaijani labour minister meet?")
    page.click("#ask")
    page.wait_for_function("document.querySelector('#status').innerText.includes('YYYY-MM-DD')",
                           timeout=WAIT)
    assert page.locator("#chat .question").count() == 0  # nothing asked with a bad filter
    page.fill("#since textarea, #since input", "2023-01-01")
    page.fill("#until textarea, #until input", "2023-12-31")
    ask(page, "Who did the Azerbaijani labour minister meet?")
    srcs = current_sources(page)
    assert srcs and all(s["date"].startswith("2023") for s in srcs)
    used = page.locator("#chat .filters-used").last.inner_text()
    assert "Filters: 2023-01-01 – 2023-12-31" in used


def test_follow_up_is_read_as_a_standalone_question(page):
    ask(page, "What happened at the first meeting of OTS labour ministers in Baku?")
    ask(page, "And he, what did he stress?")  # "he": the previous answer's name
    bubble = page.locator("#chat .context-used").last
    assert "Follow-up, read as: He, what did he stress? (" in bubble.inner_text()
    ask(page, "And what did the Turkish minister say?")  # a full question: asked as it is
    bubble = page.locator("#chat .context-used").last
    assert "read as: What did the Turkish minister say?" in bubble.inner_text()
    assert "first meeting" not in bubble.inner_text()  # the previous one does not crowd it
    text = last_bubble(page).inner_text()
    assert "Işıkhan" in text or "Ишыкхан" in text or "Ишикхан" in text
    # the earlier answers' sources are still there, folded
    assert page.locator("#sources details.turn-sources").count() == 2
    shot(page, "follow-up-1280")


def test_a_question_sent_while_an_answer_streams_is_asked_after_it(page):
    """Typed and sent before the previous answer ended (a quick user, or a slow machine): it is
    neither dropped (Gradio's default drops such a click) nor erased from the box."""
    page.wait_for_selector("#overview .overview", timeout=WAIT)
    page.fill("#question textarea", "Who did the Azerbaijani labour minister meet?")
    page.click("#ask")
    page.wait_for_selector("#chat .pending, #chat .answer.streaming", timeout=WAIT)
    page.fill("#question textarea", "What did the Turkish minister say?")
    page.click("#ask")  # the first answer is still on its way
    page.wait_for_function(
        "document.querySelectorAll('#chat .answer.done, #chat .refusal.done').length >= 2",
        timeout=WAIT)
    chat = page.locator("#chat").inner_text()
    assert "What did the Turkish minister say?" in chat
    assert page.input_value("#question textarea") == ""


def test_feedback_is_appended_as_a_test_set_line(page, server):
    from eval.testset import load_testset

    path = Path(server["store"]) / "feedback.jsonl"
    before = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    ask(page, "Which conference did the Uzbek delegation come to Azerbaijan to attend?")
    page.fill("#comment textarea", "Right article, but name the conference in full.")
    page.locator("#chat button[aria-label='Dislike']").last.click()
    page.wait_for_function("document.querySelector('#status').innerText.includes('saved')",
                           timeout=WAIT)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(before) + 1
    rec = json.loads(lines[-1])
    assert rec["question"] == ("Which conference did the Uzbek delegation come to Azerbaijan "
                               "to attend?")
    assert rec["feedback"]["rating"] == "down" and rec["needs_review"] is True
    assert rec["feedback"]["comment"] == "Right article, but name the conference in full."
    # what the rejected answer cited is kept for the reviewer, never as the expected articles
    assert "expected_docs" not in rec and "answerable" not in rec
    assert list(dict.fromkeys(c["doc_id"] for c in rec["feedback"]["rejected"]["citations"])) \
        == list(dict.fromkeys(s["doc"] for s in current_sources(page)))
    with pytest.raises(UsageError, match="still need review"):
        load_testset(path)  # eval refuses it as it stands
    assert page.input_value("#comment textarea") == ""


def test_article_markup_is_shown_as_text_never_run(page):
    ask(page, "What raw code did the ministry press page show instead of the pension "
              "calculator announcement?")
    srcs = current_sources(page)
    assert any(s["doc"] == MARKUP_ID for s in srcs)
    page.locator(f"#sources .src[data-doc='{MARKUP_ID}']").first.click()
    viewer = page.locator("#article-viewer")
    viewer.wait_for(state="visible")
    text = viewer.locator(".article-text").inner_text()
    assert "<script>window.__xss = 1</script>" in text
    assert '<img src=x onerror="window.__xss = 2">' in text
    assert page.locator("#sources img, #article-viewer img, #chat .message img").count() == 0
    assert page.locator("#sources script, #article-viewer script").count() == 0
    # a question with markup is shown as typed
    ask(page, '<b>bold</b> <img src=x onerror="window.__xss = 3"> what did visitors see?')
    assert '<img src=x onerror="window.__xss = 3">' in page.locator(
        "#chat .question").last.inner_text()
    assert page.evaluate("window.__xss") is None
    shot(page, "markup-as-text-1280")


def test_refusal_looks_different_and_offers_closest_passages(page):
    ask(page, "What was the population of the Mars colony in 2019?")
    bubble = last_bubble(page)
    assert "refusal" in bubble.get_attribute("class")
    assert "Not found in the corpus" in bubble.inner_text()
    assert page.locator("#chat a.cite").count() == 0
    assert "Closest passages found" in page.inner_text("#sources")
    assert page.locator("#sources .src.closest").count() >= 1
    shot(page, "refusal-1280")


def test_tabs_do_not_share_history_or_filters(server, browser):
    a = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    b = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    for pg in (a, b):
        pg.goto(server["url"])
        pg.wait_for_selector("#question textarea", timeout=WAIT)
    filter_language(a, "German")
    ask(a, "Who did the Azerbaijani labour minister meet?")
    ask(b, "Who is the Secretary-General of the Organization of Turkic States?")
    assert b.locator("#chat .question").count() == 1
    assert "Secretary-General" in b.locator("#chat .question").inner_text()
    assert "Filters" not in b.locator("#chat").inner_text()  # a's filter is not b's
    assert {s["lang"] for s in current_sources(b)} - {"de"}
    assert a.locator("#chat .question").count() == 1
    b.click("#clear")
    b.wait_for_function("document.querySelectorAll('#chat .question').length === 0")
    assert a.locator("#chat .question").count() == 1  # clearing b leaves a alone
    a.context.close()
    b.context.close()


def test_phone_width_layout(server, browser):
    ctx = browser.new_context(viewport={"width": 360, "height": 780}, is_mobile=True,
                              has_touch=True)
    pg = ctx.new_page()
    pg.goto(server["url"])
    pg.wait_for_selector("#question textarea", timeout=WAIT)
    ask(pg, "Who is the Secretary-General of the Organization of Turkic States?")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 362  # no sideways scroll
    src = pg.locator("#sources .src").first
    assert src.bounding_box()["width"] <= 360
    shot(pg, "chat-phone-360")
    src.click()
    viewer = pg.locator("#article-viewer")
    viewer.wait_for(state="visible")
    assert viewer.bounding_box()["width"] <= 360
    shot(pg, "article-phone-360")
    ctx.close()


def test_corpus_tab_shows_the_index_and_uploads_and_reindexes(page, server, tmp_path):
    page.get_by_role("tab", name="Corpus").click()
    summary = page.locator("#corpus-summary")
    page.wait_for_function(  # filled in by the page's load event
        "document.querySelector('#corpus-summary').innerText.includes('articles')",
        timeout=WAIT)
    assert "6 articles" in summary.inner_text()
    assert "German (de)" in summary.inner_text()
    upload = tmp_path / "upload_tr.txt"
    upload.write_text(" date 2025-12-09 Ankara'da sosyal güvenlik forumu\n\nAnkara'da "
                      "düzenlenen sosyal güvenlik forumuna on iki ülkeden bakan yardımcıları "
                      "katıldı ve dijital emeklilik hizmetlerini görüştü.\n", encoding="utf-8")
    upload_file(page, "#upload", upload)
    page.click("#upload-btn")
    page.wait_for_function(
        "document.querySelector('#corpus-status').innerText.includes('Indexed')", timeout=WAIT)
    status = page.inner_text("#corpus-status")
    assert "Added 1 file(s)" in status and "1 added" in status
    assert (Path(server["corpus"]) / "uploads" / "upload_tr.txt").is_file()
    page.wait_for_function(
        "document.querySelector('#corpus-summary').innerText.includes('7 articles')",
        timeout=WAIT)
    shot(page, "corpus-tab-1280")
    # the new article is searchable at once, and its folder is a source filter
    page.get_by_role("tab", name="Chat").click()
    if not page.locator("#filter-sources input").is_visible():
        page.click("#filters > button")
    page.click("#filter-sources input")
    page.get_by_role("option", name="uploads/").click()
    page.keyboard.press("Escape")
    ask(page, "Ankara'daki sosyal güvenlik forumuna kaç ülkeden bakan yardımcısı katıldı?")
    assert {s["doc"] for s in current_sources(page)} == {"uploads/upload_tr"}
    assert "uploads/" in page.locator("#chat .filters-used").last.inner_text()
    # re-indexing an unchanged corpus changes nothing and says so
    page.get_by_role("tab", name="Corpus").click()
    page.click("#reindex")
    page.wait_for_function(
        "document.querySelector('#corpus-status').innerText.includes('7 unchanged')",
        timeout=WAIT)
