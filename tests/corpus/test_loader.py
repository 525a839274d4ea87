from pathlib import Path

import pytest

from corpus import CorpusError, load_corpus, parse_article, scan_corpus, sentence_spans
from corpus.clean import clean
from corpus.dates import find_dateline
from tests.conftest import BUNDLED


def test_tiny_corpus_ids_dates_titles_languages(tiny_corpus):
    arts = {a.id: a for a in load_corpus(tiny_corpus)}
    assert set(arts) == {"en/omuraliev", "ru/babayev", "de/wetter"}
    en, ru, de = arts["en/omuraliev"], arts["ru/babayev"], arts["de/wetter"]
    assert (en.date, en.lang, en.title) == ("2025-12-06", "en", "OTS chief visits Baku")
    assert (ru.date, ru.lang) == ("2023-09-06", "ru")
    assert de.date is None and de.lang == "de" and de.title == "Das Wetter in Hamburg"
    assert ru.title.startswith("Министр труда Сахиль Бабаев")
    assert "date 2025" not in en.text  # the header is metadata, not text


def test_ids_are_stable_across_runs(tiny_corpus):
    first = [(a.id, a.sha256) for a in load_corpus(tiny_corpus)]
    assert first == [(a.id, a.sha256) for a in load_corpus(tiny_corpus)]


def test_bundled_corpus_keeps_article_text_and_drops_furniture():
    arts = {a.id: a for a in load_corpus(BUNDLED)}
    assert sorted(arts) == [p.stem for p in sorted(BUNDLED.glob("*.txt"))]
    report = arts["002_4833b406109e9443"]
    assert report.title == "Azerbaijan, Türkiye and OTS Secretariat explore co-op opportunities"
    assert "Kubanychbek Omuraliev, Secretary-General" in report.text
    for furniture in ("Latest News", "STEAM center", "All News Feed", "17:44",
                      "Ilham Aliyev WUF13", "Anar Əliyev TDT-nin"):
        assert furniture not in report.text
    assert report.text.count(report.title) == 1  # the repeated headline is kept once
    tass = arts["003_62d65ec01dcd1763"]
    assert "USD 1.7000" not in tass.text and "нефть" not in tass.text
    assert tass.title.startswith("Анкара и Баку")
    german = arts["004_cc687050a2df2a4e"]
    assert german.date == "2023-09-06" and german.lang == "de"
    assert "Gelesen" not in german.text and "Newsticker" not in german.text
    assert "Sahil Babayev" in german.text
    trend = arts["000_f31eb0e9395e6032"]
    assert "WhatsApp" not in trend.text and "Ведат Ишыкхан заявил" in trend.text
    assert {a.lang for a in arts.values()} == {"ru", "en", "de"}


def test_every_kept_line_is_verbatim_from_the_file():
    for a in load_corpus(BUNDLED):
        raw = Path(a.path).read_text(encoding="utf-8")
        for line in a.text.split("\n\n"):
            assert line in raw


def test_missing_folder_raises_and_unreadable_files_are_skipped_with_a_reason(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        list(load_corpus(tmp_path / "nope"))
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01\x02\x03" * 50)
    (tmp_path / "good.txt").write_text("A body of text long enough to be an article here.")
    skipped: list = []
    assert [a.id for a in load_corpus(tmp_path, skipped=skipped)] == ["good"]
    assert [(s.source, s.reason) for s in skipped] == [("bad.txt", "it is a binary file, not text")]


def test_hidden_and_other_files_are_ignored(tmp_path):
    (tmp_path / ".hidden.txt").write_text("secret text of a hidden file here.")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "a.md").write_text("# Title\n\nA short body text with enough words to be read.")
    skipped: list = []
    assert [a.id for a in load_corpus(tmp_path, skipped=skipped)] == ["a"]
    assert [s.source for s in skipped] == ["image.png"]  # reported; hidden files are not
    assert "not articles" in skipped[0].reason


@pytest.mark.parametrize("head,iso", [
    ("06 September 2023    Gelesen: 629", "2023-09-06"),
    ("5 декабря 2025 года", "2025-12-05"),
    ("12 Aralık 2024", "2024-12-12"),
    ("05.12.2025 | 10:00", "2025-12-05"),
    ("no date here", None),
    ("31 Foo 2023", None),
])
def test_dateline(head, iso):
    assert find_dateline(head) == iso


def test_cleaner_on_scraped_page():
    raw = ("Home News Sport Weather\nUSD 1.7000\nOther story headline\nThe real headline here\n"
           "The minister said on Monday that the programme will cover all the regions of the "
           "country next year.\nPhoto\nHe added that funding was secured.\n"
           "Latest News\n17:57\nSomething else happened somewhere today\n")
    cleaned = clean(raw)
    kept = [ln.text for ln in cleaned.kept]
    assert kept == ["The real headline here",
                    "The minister said on Monday that the programme will cover all the regions "
                    "of the country next year.",
                    "He added that funding was secured."]
    assert cleaned.headline == "The real headline here"


def test_parse_article_without_body_keeps_non_furniture():
    a = parse_article("Short note\n12:00\n", "x", "x.txt", "/x.txt", "0")
    assert a.text == "Short note" and a.title == "Short note"


@pytest.mark.parametrize("text,expected", [
    ("First one. Second one! Third?", ["First one.", "Second one!", "Third?"]),
    ("Dr. Smith came. He left.", ["Dr. Smith came.", "He left."]),
    ("В 2021 г. был подписан договор. Он важен.", ["В 2021 г. был подписан договор.", "Он важен."]),
    ("Line one\nLine two. Next «Quote».", ["Line one", "Line two.", "Next «Quote»."]),
    ("Version 2.5 is out. Ok", ["Version 2.5 is out.", "Ok"]),
])
def test_sentence_spans(text, expected):
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == expected


def test_a_feed_keeps_its_good_lines_and_stray_control_bytes_are_dropped(tmp_path):
    body = "Kubanychbek Omuraliev visited Baku on Monday to meet the labour ministers."
    (tmp_path / "feed.jsonl").write_text(
        f'{{"text": "{body}", "title": "A"}}\n{{bad line\n\n'
        f'{{"text": "Jamshid Abruyev led the Uzbek delegation to Baku.", "title": "B"}}\n',
        encoding="utf-8")
    (tmp_path / "short.txt").write_bytes(b"Title\n\nA short article\x00 with two\x00 stray "
                                         b"NUL bytes in it, and a bell\x07.")
    items = list(scan_corpus(tmp_path))
    arts = {i.id: i for i in items if type(i).__name__ == "Article"}
    assert sorted(arts) == ["feed/1", "feed/4", "short"]
    assert arts["short"].text.endswith("A short article with two stray NUL bytes in it, "
                                       "and a bell.")
    skipped = [(s.source, s.reason) for s in items if type(s).__name__ == "Skipped"]
    assert skipped == [("feed.jsonl (line 2)",
                        "line 2 is not valid JSON; the file's other lines were indexed")]


@pytest.mark.parametrize(("sentence", "title"), [
    ("БАКУ /Trend/ - В министерстве труда прошла встреча.", "В министерстве труда прошла встреча."),
    ("BAKU, Dec 5 (Reuters) - Ministers met on Friday.", "Ministers met on Friday."),
    ("ANKARA (AA) – Türkiye and Azerbaijan signed a plan.",
     "Türkiye and Azerbaijan signed a plan."),
    ("BAKU - The minister said so.", "The minister said so."),
    # no dateline: left as it is
    ("The ministry (MoL) - as reported - met.", "The ministry (MoL) - as reported - met."),
    ("OTS Day - The event opened.", "OTS Day - The event opened."),
    ("Minister Aliyev: We will cooperate.", "Minister Aliyev: We will cooperate."),
])
def test_a_title_from_the_first_sentence_drops_the_agency_dateline(sentence, title):
    from corpus.loader import without_dateline

    assert without_dateline(sentence) == title


def test_the_bundled_trend_article_is_titled_without_its_dateline():
    art = next(a for a in load_corpus(BUNDLED) if a.id == "000_f31eb0e9395e6032")
    assert art.title.startswith("В министерстве труда и социальной защиты населения")
    assert art.text.startswith("БАКУ /Trend/ - ")  # the text itself is kept verbatim
