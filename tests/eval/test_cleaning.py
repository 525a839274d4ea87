"""The furniture cleaner on its labelled sets (eval/testsets/furniture*)."""

from pathlib import Path

import pytest

from eval.cleaning import DEFAULT_SET, load_set, main, score

HELDOUT = DEFAULT_SET.parent / "furniture-heldout"


@pytest.mark.parametrize("folder", [DEFAULT_SET, HELDOUT], ids=["tuning", "heldout"])
def test_cleaner_removes_no_article_line_and_nearly_all_furniture(folder):
    pages = load_set(folder)
    assert len(pages) >= 3 and all(any(lbl == "A" for lbl, _ in rows) for rows in pages.values())
    s, wrong = score(pages)
    assert s.fp == 0, wrong  # an article line must never go
    assert s.recall >= 0.95, wrong


def test_every_language_of_the_corpus_is_labelled():
    from corpus import detect_lang

    langs = set()
    for folder in (DEFAULT_SET, HELDOUT):
        for rows in load_set(folder).values():
            langs.add(detect_lang(" ".join(t for lbl, t in rows if lbl == "A")))
    assert {"en", "ru", "de", "tr", "az"} <= langs


def test_scoring_counts_each_kind_of_mistake(tmp_path):
    (tmp_path / "p.tsv").write_text(
        "F\tHome News Sport\n"
        "A\tThe real headline of the story\n"
        "A\tThe minister said on Monday that the programme will cover all the regions of the "
        "country next year.\n"
        "A\tPhoto\n"  # labelled (wrongly) as article: the cleaner removes it -> a false positive
        "F\tThe last line is labelled furniture but reads like a closing sentence here.\n",
        encoding="utf-8")
    s, wrong = score(load_set(tmp_path))
    assert (s.tp, s.fp, s.fn, s.furniture) == (1, 1, 1, 2)
    assert len(wrong) == 2


def test_malformed_set_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "bad.tsv").write_text("X\tsomething\n", encoding="utf-8")
    assert main(["--set", str(tmp_path)]) == 2
    assert "line 1 of" in capsys.readouterr().err
    assert main(["--set", str(Path(tmp_path) / "empty-folder")]) == 2
