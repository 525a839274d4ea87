"""What the browser tests share: asking through the page, reading it, screenshots."""

from __future__ import annotations

from benchmarks.page_speed import WAIT_MS as WAIT
from benchmarks.page_speed import ask_in_page
from tests.conftest import ROOT

ARTIFACTS = ROOT / "out" / "ui"  # screenshots and timings, kept by CI as test artifacts
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
TIMINGS: list[dict] = []
MARKUP_ID = "zz_markup"  # the article full of HTML (conftest)
__all__ = ["MARKUP_ID", "WAIT", "ARTIFACTS", "WIDTHS", "TIMINGS", "ask", "filter_language",
           "last_bubble", "current_sources", "markers", "shot", "open_filters", "upload_file"]


def ask(pg, question: str) -> dict:
    """Ask through the text box; wait for the complete answer (or refusal) and return how it
    arrived (the answer bubble's states over time)."""
    run = ask_in_page(pg, question)
    TIMINGS.append({k: v for k, v in run.items() if k != "states"})
    return run


def open_filters(pg) -> None:
    if not pg.locator("#filter-langs").is_visible():
        pg.click("#filters > button")


def filter_language(pg, name: str) -> None:
    """Tick a language in the (folded) filters panel."""
    open_filters(pg)
    pg.locator("#filter-langs label", has_text=name).click()  # waits for the choices


def last_bubble(pg):
    return pg.locator("#chat .answer, #chat .refusal").last


def current_sources(pg) -> list[dict]:
    return pg.eval_on_selector_all(
        "#sources .turn-sources.current .src",
        "els => els.map(e => ({n: e.dataset.n, doc: e.dataset.doc, lang: e.dataset.lang, "
        "date: e.dataset.date, "
        "closest: e.classList.contains('closest'), mark: (e.querySelector('mark') || {})"
        ".textContent}))")


def markers(pg) -> list[str]:
    hrefs = last_bubble(pg).locator("a.cite").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))")
    return [h.rsplit("-", 1)[1] for h in hrefs]


def shot(pg, name: str, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def upload_file(pg, zone: str, path) -> None:
    """Choose ``path`` in the file component ``zone`` as a user does (click, file chooser)
    and wait until the server has stored it and the component lists it. The row of a stored
    file is awaited, not the name's text: while a file uploads its whole name shows in a
    progress line, which a fast upload removes before a test sees it (a CI failure); the
    row splits the name into stem and suffix."""
    name = str(path).rsplit("/", 1)[-1]
    try:
        with pg.expect_response(lambda r: "/upload" in r.url and r.request.method == "POST",
                                timeout=WAIT) as sent:
            with pg.expect_file_chooser(timeout=WAIT) as chooser:
                pg.locator(zone).get_by_role("button").first.click()
            chooser.value.set_files(str(path))
        assert sent.value.ok, f"the upload answered {sent.value.status}"
        pg.wait_for_selector(f"{zone} .file-preview [aria-label='{name}']", timeout=WAIT)
    except Exception:
        shot(pg, "upload-failed", full_page=True)
        raise
