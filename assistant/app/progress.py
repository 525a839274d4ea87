"""Progress on the terminal: a bar per index run, notices on stderr."""

from __future__ import annotations

import sys

from index.pipeline import Progress, Step


def progress_bar() -> Progress:
    """A callback drawing an index run as a tqdm bar on stderr (files, articles/s)."""
    bar = None

    def progress(step: Step) -> None:
        nonlocal bar
        from tqdm import tqdm

        if bar is None:
            bar = tqdm(total=step.total, desc="indexing", file=sys.stderr, dynamic_ncols=True,
                       bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} files "
                                  "[{elapsed}<{remaining}{postfix}]")
        bar.set_postfix_str(step.figures(), refresh=step.chunks is not None)
        bar.update(step.done - bar.n)
        if step.done >= step.total:
            bar.close()

    return progress


def notice(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def ensure_indexed(app) -> None:
    """Index an empty store first, with a progress bar and notices on stderr."""
    app.ensure_indexed(progress_bar(), notice)
