"""benchmarks.figures without running a benchmark: the Markdown it prints from a results
dict, and the CPU line that heads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import figures

MACHINE = {"cpu": "Test CPU (family 6, model 207); AVX2 AVX512F; 2 cores",
           "date": "2026-11-30 18:00 UTC", "commit": "abc1234", "uncommitted": 3,
           "e5_backend": "int8", "settings": "defaults", "load_before": 0.12,
           "load_after": 1.5}
LANG = {"questions": 8, "hit@1": 0.2857, "hit@5": 1.0, "mrr@10": 0.5762,
        "citation_precision": 0.5476, "citation_recall": 0.7143, "citation_validity": 1.0,
        "must_mention": 0.4286, "refusal_accuracy": 0.0, "false_refusal_rate": 0.0,
        "passed": 0.375}
SUMMARY = {**LANG, "questions": 90, "hit@1": 0.6197, "passed": 0.5333,
           "latency_p50_ms": 146.1, "latency_p95_ms": 332.3}


def lat(p50, p95, n=21, mx=None):
    return {"n": n, "p50": p50, "p95": p95, "max": mx or p95}


RESULTS = {
    "machine": MACHINE,
    "speed": {"questions": 21, "load_s": 2.04, "articles": 5, "chunks": 36, "index_s": 1.23,
              "first_question_s": 0.4, "search_ms": lat(57.2, 66.0, 20, 71.0),
              "ask_first_ms": lat(113.0, 170.0, 21, 183.0), "ask_again_ms": lat(11.0, 19.0),
              "ask_first_wall_ms": lat(120.0, 180.0)},
    "index": {"wall_s": 4.2, "seconds": 1.2, "peak_mb": 651, "articles": 5, "chunks": 36},
    "shell": {"runs": 3, "cold_s": 3.71, "cold_peak_mb": 766, "via_serve_s": 0.62,
              "via_serve_peak_mb": 48},
    "eval": {"summary": SUMMARY, "by_language": {"tr": LANG, "az": LANG},
             "testset": "eval/testsets/seed_qa.jsonl", "answerer": "evidence",
             "embedders": ["e5-small", "use"], "mode": "extractive"},
    "page": {"questions": 21, "rounds": 2, "server_up_s": 12.0, "api_ms": lat(100, 150, 42),
             "first_text_ms": lat(150, 193, 42), "complete_ms": lat(470, 1147, 42)},
    "api": {"clients": 20, "rounds": 2, "alone_ms": lat(107, 1462, 12),
            "load_ms": lat(1108, 2589, 40), "failed_alone": 0, "failed_load": 1,
            "memory_after_one_mb": {"VmRSS": 1007, "VmHWM": 1010, "RssAnon": 596,
                                    "RssFile": 411},
            "memory_after_load_mb": {"VmRSS": 1100, "VmHWM": 1200, "RssAnon": 700,
                                     "RssFile": 400}},
    "failed": {},
    "load_at_start": {"speed": 0.12, "api": 1.01},
}


def table(text: str, first_cell: str) -> list[str]:
    """The cells of the table row whose first cell starts with ``first_cell``."""
    row = next(ln for ln in text.splitlines() if ln.startswith(f"| {first_cell}"))
    return [c.strip() for c in row.strip("|").split("|")]


def test_header_names_cpu_date_commit_and_load():
    line = figures.markdown(RESULTS).splitlines()[0]
    assert line == ("CPU: Test CPU (family 6, model 207); AVX2 AVX512F; 2 cores; e5 on int8 · "
                    "2026-11-30 18:00 UTC · commit abc1234 + 3 files not committed · load "
                    "average (1 min) 0.12 before, 1.50 after")
    clean = figures.header_line({**MACHINE, "uncommitted": 0, "e5_backend": None,
                                 "settings": "assistant.toml"})
    assert "commit abc1234 ·" in clean and "e5 on" not in clean
    assert "settings from assistant.toml" in clean


def test_speed_table_rows():
    md = figures.markdown(RESULTS)
    assert "| what | figure | benchmark |\n|---|---|---|\n" in md
    assert table(md, "model load")[1:] == ["2.0 s", "`python -m benchmarks.answer_speed`"]
    assert table(md, "`search`")[1] == "p50 57 / p95 66 ms, max 71 ms"
    assert table(md, "`ask`, 21 questions, first")[1] == "p50 113 / p95 170 ms, max 183 ms"
    assert table(md, "whole `index`")[1] == "4.2 s (indexing 1.2 s), peak 651 MB"
    assert table(md, "`ask` from the shell, cold")[1] == "3.7 s, peak 766 MB (median of 3)"
    assert table(md, "`ask` from the shell through")[1] == "0.62 s, peak 48 MB (median of 3)"
    page = table(md, "chat page")
    assert page[1] == ("median 150 / 470 ms, p95 193 / 1,147 ms (1.50x / 4.70x the same "
                       "server's `/ask` JSON endpoint, median 100 ms)")
    assert page[2] == "`python -m benchmarks.page_speed`"
    assert table(md, "`serve` after one")[1] == ("RSS 1,007 MB: its own 596 MB, mapped files "
                                                 "411 MB; after the load 1,100 MB, peak "
                                                 "1,200 MB")
    load = table(md, "one chat alone")
    assert load[1] == ("alone p50 107 / p95 1,462 ms (12); 20 at once p50 1,108 / p95 2,589 "
                       "ms (40): x10.4 / x1.8; 1 failed")
    assert load[2] == "`python -m benchmarks.api_load --rounds 2`"
    assert md.rstrip().endswith("Load average (1 min) as each step began: speed 0.12, "
                                "api 1.01.")


def test_quality_table_as_in_the_readme():
    md = figures.markdown(RESULTS)
    assert ("| scope | n | hit@1 | hit@5 | MRR@10 | cite P | cite R | validity | must_mention "
            "| refusal acc. | false refusal | passed |") in md
    assert table(md, "all") == ["all", "90", ".620", "1.000", ".576", ".548", ".714", "1.000",
                                ".429", ".000", ".000", ".533"]
    langs = [ln.split("|")[1].strip() for ln in md.splitlines()
             if ln.startswith("| ") and ln.split("|")[1].strip() in ("all", "az", "tr")]
    assert langs == ["all", "az", "tr"]  # all first, then languages in order
    assert "(90 questions; answerer `evidence`, embedders e5-small, use" in md


def test_skipped_and_failed_steps():
    only_eval = {"machine": MACHINE, "eval": RESULTS["eval"],
                 "failed": {"page": "the server did not start:\nlog ..."}}
    md = figures.markdown(only_eval)
    assert "| what | figure | benchmark |" in md  # the eval latency row
    assert "chat page" not in md and "model load" not in md
    assert md.rstrip().endswith("Step `page` failed: the server did not start:")


def test_rates_and_numbers():
    assert [figures.f3(x) for x in (0.6197, 1.0, 0.0, None)] == [".620", "1.000", ".000", "-"]
    assert figures.ms(1146.6) == "1,147"


def test_cpu_line_names_the_model_in_proc_cpuinfo():
    from benchmarks.common import cpu_line

    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        pytest.skip("no /proc/cpuinfo")
    names = [ln.split(":", 1)[1].strip() for ln in info.splitlines()
             if ln.startswith("model name")]
    if not names:
        pytest.skip("/proc/cpuinfo names no model (not x86)")
    line = figures.header_line({**MACHINE, "cpu": cpu_line()})
    assert line.startswith("CPU: ")
    assert " ".join(names[0].split()) in line
    assert "cores" in line


def test_help_lists_the_slow_benchmarks(capsys):
    with pytest.raises(SystemExit):
        figures.main(["--help"])
    out = capsys.readouterr().out
    for name in ("store_scale", "xquad", "backends", "index_scale", "answers"):
        assert f"python -m benchmarks.{name}" in out


def test_unknown_step_is_refused(capsys):
    with pytest.raises(SystemExit):
        figures.main(["--skip", "pages"])
    assert "unknown step(s) pages" in capsys.readouterr().err
