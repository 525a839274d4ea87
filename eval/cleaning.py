"""Precision and recall of the furniture cleaner on a labelled set of lines.

    python -m eval.cleaning [--set eval/testsets/furniture] [--show]

Each ``.tsv`` file of the set is one scraped article, one line per row: ``A<TAB>line`` for a
line of the article (headline and body), ``F<TAB>line`` for page furniture. The lines are
joined into a page, cleaned with ``corpus.clean.clean``, and every line is scored:
furniture is the positive class (precision = removed lines that are furniture; recall =
furniture lines removed). ``--show`` lists every wrong decision.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SET = Path(__file__).resolve().parent / "testsets" / "furniture"


@dataclass(frozen=True)
class Scores:
    pages: int
    lines: int
    furniture: int
    tp: int  # furniture removed
    fp: int  # article lines removed
    fn: int  # furniture kept

    @property
    def precision(self) -> float:
        return self.tp / max(1, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return self.tp / max(1, self.furniture)


def load_set(folder: Path) -> dict[str, list[tuple[str, str]]]:
    pages = {}
    for f in sorted(folder.glob("*.tsv")):
        rows = []
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            label, _, text = line.partition("\t")
            if label not in ("A", "F") or not text.strip():
                raise ValueError(f"line {n} of {f} is not 'A<TAB>text' or 'F<TAB>text'")
            rows.append((label, text))
        pages[f.stem] = rows
    return pages


def score(pages: dict[str, list[tuple[str, str]]]) -> tuple[Scores, list[str]]:
    """Totals over every page, and one line per wrong decision."""
    from corpus.clean import clean

    tp = fp = fn = furniture = lines = 0
    wrong = []
    for name, rows in pages.items():
        page = "\n".join(text for _, text in rows) + "\n"
        kept = {(ln.start, ln.end) for ln in clean(page).kept}
        pos = 0
        for label, text in rows:
            start = page.index(text, pos)
            pos = start + len(text)
            s = start + (len(text) - len(text.lstrip()))
            removed = (s, s + len(text.strip())) not in kept
            lines += 1
            furniture += label == "F"
            if removed and label == "F":
                tp += 1
            elif removed:
                fp += 1
                wrong.append(f"{name}: article line removed: {text[:90]}")
            elif label == "F":
                fn += 1
                wrong.append(f"{name}: furniture kept: {text[:90]}")
    return Scores(len(pages), lines, furniture, tp, fp, fn), wrong


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.cleaning", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", default=str(DEFAULT_SET), help="folder of labelled .tsv pages")
    ap.add_argument("--show", action="store_true", help="list every wrong decision")
    args = ap.parse_args(argv)
    try:
        pages = load_set(Path(args.set))
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not pages:
        print(f"error: no .tsv pages in {args.set}: pass the labelled set with --set.",
              file=sys.stderr)
        return 2
    s, wrong = score(pages)
    print(f"{s.pages} pages, {s.lines} lines, {s.furniture} furniture")
    print("| removed furniture (TP) | removed article lines (FP) | kept furniture (FN) | "
          "precision | recall |\n|---:|---:|---:|---:|---:|")
    print(f"| {s.tp} | {s.fp} | {s.fn} | {s.precision:.3f} | {s.recall:.3f} |")
    if args.show:
        print("\n".join(wrong))
    return 0


if __name__ == "__main__":
    sys.exit(main())
