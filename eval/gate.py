"""The regression gate: compare a summary with a saved baseline."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from corpus import UsageError

from .runner import HEADLINE

# The committed baseline of the shipped test set on the bundled corpus, and the default
# tolerance: the largest spread across CPUs and e5 backends (eval/gate_spread.json) plus one
# question.
BASELINE = Path(__file__).resolve().parent / "baseline.json"
TOLERANCE = 0.08


def load_baseline(path: str | Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"baseline {path} does not exist: pass a summary saved with "
                         "--json, or leave --baseline out.") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"baseline {path} is not a readable JSON summary ({type(exc).__name__})"
                         ": pass a file written by 'eval --json'.") from None
    summary = data.get("summary", data) if isinstance(data, dict) else None
    if not isinstance(summary, dict):
        raise UsageError(f"baseline {path} holds no summary: pass a file written by "
                         "'eval --json'.")
    return summary


@dataclass(frozen=True)
class Change:
    """One headline metric that differs from the baseline."""

    metric: str
    old: float
    new: float
    worse: float  # how much worse (negative: better), whichever way the metric points

    def line(self, judged: bool = True) -> str:
        """"must_mention: 0.484 -> 0.404 (-0.080) worse" (without the judgement: no last word)."""
        line = f"{self.metric}: {self.old:.3f} -> {self.new:.3f} ({self.new - self.old:+.3f})"
        return line + (" worse" if self.worse > 0 else " better") if judged else line

    def words(self) -> str:
        """"must_mention fell 0.080 (0.484 → 0.404)"."""
        moved = "rose" if self.new > self.old else "fell"
        return (f"{self.metric} {moved} {abs(self.new - self.old):.3f} "
                f"({self.old:.3f} → {self.new:.3f})")


@dataclass(frozen=True)
class Gate:
    """A summary checked against a baseline: every change, and those beyond the tolerance."""

    baseline: str  # where the baseline came from, as shown to the reader
    tolerance: float
    changes: tuple[Change, ...]
    regressions: tuple[Change, ...]

    @property
    def passed(self) -> bool:
        return not self.regressions

    def words(self) -> str:
        """"regression gate: no regression against baseline.json (tolerance 0.08)", or what
        regressed. It says nothing of quality: the baseline may be poor (see ``quality``)."""
        against = f"against {self.baseline} (tolerance {self.tolerance:g})"
        if self.passed:
            return f"regression gate: no regression {against}"
        return (f"regression gate: REGRESSION {against}: "
                + "; ".join(c.words() for c in self.regressions))


def check(summary: dict, baseline: dict, tolerance: float = TOLERANCE,
          name: str = "the baseline") -> Gate:
    """The gate's verdict on ``summary``: a headline metric may not be worse than in
    ``baseline`` by more than ``tolerance``."""
    changes = []
    for key, higher_is_better in HEADLINE.items():
        new, old = summary.get(key), baseline.get(key)
        if new is None or old is None or abs(new - old) < 1e-9:
            continue
        changes.append(Change(key, old, new, (old - new) if higher_is_better else (new - old)))
    return Gate(name, tolerance, tuple(changes),
                tuple(c for c in changes if c.worse > tolerance))


def compare(summary: dict, baseline: dict, tolerance: float) -> tuple[list[str], list[str]]:
    """(lines describing every change, lines for headline metrics that regressed beyond
    ``tolerance``)."""
    gate = check(summary, baseline, tolerance)
    return ([c.line() for c in gate.changes],
            [c.line(judged=False) for c in gate.regressions])
