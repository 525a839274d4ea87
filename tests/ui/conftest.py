"""One real `python -m assistant serve` and one headless Chromium for all browser tests: the
bundled corpus plus one article full of HTML (it must be shown as text, never run)."""

from __future__ import annotations

import json
import shutil
import statistics

import pytest

from benchmarks.page_speed import launch_chromium, running_server
from tests.conftest import BUNDLED

from .helpers import ARTIFACTS, MARKUP_ID, TIMINGS, WAIT, WIDTHS

MARKUP_ARTICLE = (
    " date 2025-12-08 Ministry press page showed raw markup\n\n"
    "The labour ministry of Azerbaijan said on Monday that its press page had shown the raw code "
    "<script>window.__xss = 1</script> instead of the announcement about the pension "
    "calculator.\n\n"
    'Visitors also saw the tag <img src=x onerror="window.__xss = 2"> next to the text, the '
    "ministry said, and the page was repaired within an hour.\n"
)


@pytest.fixture(scope="package")
def server(tmp_path_factory):
    """A real server on a copy of the bundled corpus plus the markup article."""
    base = tmp_path_factory.mktemp("ui")
    corpus = base / "articles"
    shutil.copytree(BUNDLED, corpus)
    (corpus / f"{MARKUP_ID}.txt").write_text(MARKUP_ARTICLE, encoding="utf-8")
    store = base / "store"
    with running_server(corpus, store, base / "serve.log") as url:
        yield {"url": url, "store": store, "corpus": corpus}


@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


def open_page(server, browser, width: str = "desktop"):
    """A fresh browser context (its own Gradio session) at a width of ``WIDTHS``."""
    w, h = WIDTHS[width]
    phone = width == "phone"
    ctx = browser.new_context(viewport={"width": w, "height": h}, is_mobile=phone,
                              has_touch=phone, accept_downloads=True)
    pg = ctx.new_page()
    pg.goto(server["url"])
    pg.wait_for_selector("#question textarea", timeout=WAIT)
    return pg


@pytest.fixture
def page(server, browser):
    pg = open_page(server, browser)
    yield pg
    pg.context.close()


@pytest.fixture(params=list(WIDTHS))
def any_page(request, server, browser):
    """The page at desktop width, then on a phone."""
    pg = open_page(server, browser, request.param)
    pg.width_name = request.param
    yield pg
    pg.context.close()


@pytest.fixture(scope="package", autouse=True)
def _write_timings():
    """After the browser tests: the streamed-answer timings their questions measured."""
    yield
    if TIMINGS:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        first = [t["first_text_ms"] for t in TIMINGS]
        done = [t["complete_ms"] for t in TIMINGS]
        out = {"questions": len(TIMINGS), "first_text_ms_median": statistics.median(first),
               "complete_ms_median": statistics.median(done), "runs": TIMINGS}
        (ARTIFACTS / "timings.json").write_text(json.dumps(out, indent=1, ensure_ascii=False))
