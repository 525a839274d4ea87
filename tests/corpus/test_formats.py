"""Every supported format and encoding, from small fixture files (tests/corpus/fixtures)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from corpus import Article, load_corpus, scan_corpus
from corpus.dates import normalise_date
from corpus.formats import decode, normalise_lang

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
CUSTOM = {"id": ("uid",), "title": ("headline",), "text": ("story",), "date": ("published",)}


@pytest.fixture(scope="module")
def articles() -> dict[str, Article]:
    return {a.id: a for a in load_corpus(FIXTURES, fields=CUSTOM)}


RU = "Министр труда и социальной защиты населения Азербайджана Анар Алиев"


@pytest.mark.parametrize("aid,start,lang,date", [
    ("plain_header", "The labour ministers of the Organization", "en", "2025-12-05"),
    ("utf8_bom", "Zusammenarbeit in Baku", "de", None),
    ("utf16_bom", RU, "ru", "2025-12-06"),
    ("utf16le_nobom", RU, "ru", None),
    ("cp1251", RU, "ru", "2025-12-06"),  # date from the dateline "БАКУ, 6 декабря 2025"
    ("koi8r", RU, "ru", None),
    ("cp1252", "Die Arbeitsminister der Organisation", "de", None),
    ("cp1254", "Çalışma ve Sosyal Güvenlik Bakanı Vedat Işıkhan", "tr", None),
])
def test_text_files_in_every_encoding(articles, aid, start, lang, date):
    a = articles[aid]
    assert a.text.startswith(start), a.text[:80]
    assert (a.lang, a.date) == (lang, date)
    assert "\ufeff" not in a.text and "\x00" not in a.text


def test_legacy_decodings_are_exact():
    for enc, sample in (("cp1251", "Министр провёл встречу в Баку."),
                        ("cp1252", "Größe, Straße und Öffnungszeiten."),
                        ("cp1254", "Işıkhan görüştü ve açıklama yaptı.")):
        data = (sample + " ") * 3
        assert decode(data.encode(enc))[0] == data, enc


def test_html_page_main_text_and_metadata(articles):
    page = articles["page"]
    assert page.title == "Minister treffen sich in Baku"
    assert (page.date, page.lang, page.site) == ("2025-12-05", "de", "Die Zeitung")
    assert page.url == "https://www.zeitung.example/politik/baku-treffen"
    assert "Kubanychbek Omuraliev lobte" in page.text
    for furniture in ("Startseite", "Impressum", "Meistgelesen", "Bundesliga", "USD 1,7000"):
        assert furniture not in page.text
    legacy = articles["page_cp1251"]  # windows-1251 page: decoded, title from <title>
    assert legacy.title == "Встреча в Баку" and RU in legacy.text and legacy.lang == "ru"


def test_json_feed_newsapi_shape(articles):
    first, second = articles["newsapi/1"], articles["newsapi/2"]
    assert first.title == "Azerbaijan, Türkiye and OTS explore cooperation"
    assert (first.date, first.site, first.lang) == ("2025-12-06", "Report.az", "en")
    assert first.source == "newsapi.json#1" and first.url == "https://report.az/en/social/1"
    # HTML in the body field becomes paragraphs; an RFC 2822 date becomes ISO
    assert second.text.startswith(RU) and "<p>" not in second.text and "\n\n" in second.text
    assert (second.date, second.lang, second.site) == ("2025-12-06", "ru", "Trend")
    assert "newsapi/3" not in articles  # an object without text is no article


def test_jsonl_with_configured_fields_and_ids(articles):
    a1, a2, a3 = (articles[f"custom_fields/{k}"] for k in ("a1", "a2", "a3"))
    assert (a1.title, a1.date, a1.lang) == ("Türkische Minister", "2025-12-05", "de")
    assert a2.date == "2025-12-06"  # Unix seconds
    assert a3.date is None  # "05/06/2025": May or June is not guessed
    assert a1.sha256 != a2.sha256


def test_jsonl_without_field_mapping_is_skipped_with_the_fix():
    skipped = []
    ids = [a.id for a in load_corpus(FIXTURES, skipped=skipped)]
    assert not any(i.startswith("custom_fields/") for i in ids)
    reason = {s.source: s.reason for s in skipped}["custom_fields.jsonl"]
    assert "record_fields" in reason


def test_csv_with_semicolons(articles):
    de, ru = articles["table/2"], articles["table/3"]
    assert (de.title, de.date, de.lang, de.site) == ("Treffen in Baku", "2025-12-05", "de",
                                                    "zeitung.example")
    assert ru.date == "2025-12-06" and ru.lang == "ru" and ru.source == "table.csv#3"


def test_unusable_files_are_skipped_with_one_reason_each():
    skipped = {s.source: s.reason for s in scan_corpus(FIXTURES, CUSTOM)
               if type(s).__name__ == "Skipped"}
    assert skipped == {
        "binary.txt": "it is a binary file, not text",
        "broken.json": "it is not valid JSON (line 1)",
        "empty.txt": "the file is empty",
        "notes.pdf": ".pdf files are not articles (supported: .txt, .md, .html, .htm, "
                     ".json, .jsonl, .csv)",
    }


def test_same_id_from_two_files_keeps_the_first(tmp_path):
    shutil.copy(FIXTURES / "plain_header.txt", tmp_path / "story.txt")
    shutil.copy(FIXTURES / "page.html", tmp_path / "story.html")
    skipped: list = []
    arts = list(load_corpus(tmp_path, skipped=skipped))
    assert [a.source for a in arts] == ["story.html"]
    assert skipped[0].source == "story.txt" and "taken by story.html" in skipped[0].reason


@pytest.mark.parametrize("value,iso", [
    ("2025-12-05T10:00:00Z", "2025-12-05"), ("2025/12/05", "2025-12-05"),
    ("05.12.2025", "2025-12-05"), ("25/12/2025", "2025-12-25"), ("05/12/2025", None),
    ("Fri, 05 Dec 2025 10:00:00 +0000", "2025-12-05"), ("December 5, 2025", "2025-12-05"),
    ("5 декабря 2025", "2025-12-05"), (1764928800, "2025-12-05"), (1764928800000, "2025-12-05"),
    ("", None), ("yesterday", None), ("2025-13-40", None), (None, None),
])
def test_dates_are_normalised_or_left_missing(value, iso):
    assert normalise_date(value) == iso


@pytest.mark.parametrize("value,code", [("en-US", "en"), ("RU", "ru"), ("de_DE", "de"),
                                        ("Russian", "ru"), ("", None), (3, None)])
def test_language_codes(value, code):
    assert normalise_lang(value) == code
