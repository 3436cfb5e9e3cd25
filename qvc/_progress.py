"""Progress inside a long model step: done/total with an ETA, on the run's progress channel.

A fit that simulates for minutes used to show one "fitting ..." line. The runner
opens :func:`reporting` around each model step; the code doing the work opens
:func:`task` around its loop (statevector blocks, gate layers, optimiser
evaluations, sampled circuits) and calls :meth:`Task.advance`. Tasks nest: the
line shows the outermost task's count and a percentage that includes the
progress of the tasks inside it. Without :func:`reporting` (``--quiet``,
``--json``, sweeps, library use) a task is a shared no-op, cheap enough for
the engine's inner loops.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class Task:
    """A counted loop: ``total`` pieces of ``unit``; ``begin(n)`` marks the size of the piece underway."""

    __slots__ = ("total", "unit", "done", "step", "_reporter")

    def __init__(self, total: float, unit: str, reporter: _Reporter | None) -> None:
        self.total, self.unit, self.done, self.step = max(float(total), 1e-12), unit, 0.0, 1.0
        self._reporter = reporter

    def begin(self, n: float) -> None:
        """The next piece has size ``n`` (nested tasks fill it in)."""
        self.step = float(n)

    def advance(self, n: float = 1.0) -> None:
        """``n`` more pieces are done."""
        self.done = min(self.total, self.done + n)
        if self._reporter is not None:
            self._reporter.maybe_show()


class _NullTask(Task):
    __slots__ = ()

    def begin(self, n: float) -> None:  # noqa: D102
        pass

    def advance(self, n: float = 1.0) -> None:  # noqa: D102
        pass


_NULL = _NullTask(1, "", None)


def format_seconds(s: float) -> str:
    """``75`` -> ``'1m15s'``, ``3725`` -> ``'1h02m05s'`` (rounded to whole seconds; the one elapsed/ETA format)."""
    s = max(0, int(round(s)))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}h{m:02d}m{sec:02d}s" if h else f"{m}m{sec:02d}s"


class _Reporter:
    def __init__(self, say: Callable[[str], None], label: str, every_s: float, first_after_s: float) -> None:
        self.say, self.label = say, label
        self.every_s, self.first_after_s = every_s, first_after_s
        self.t0 = self.last = time.perf_counter()
        self.stack: list[Task] = []
        self.lines = 0
        self.shown = 0.0

    def fraction(self) -> float:
        frac = 0.0
        for task in reversed(self.stack):
            frac = min(1.0, (task.done + task.step * frac) / task.total)
        return frac

    def maybe_show(self) -> None:
        now = time.perf_counter()
        if now - self.t0 < self.first_after_s or now - self.last < self.every_s or not self.stack:
            return
        self.last = now
        # nested loops restart (a forward pass, then a gradient): the share shown never goes back
        self.shown = max(self.shown, self.fraction())
        outer, frac, elapsed = self.stack[0], self.shown, now - self.t0
        eta = format_seconds(elapsed / frac * (1 - frac)) if frac > 0 else "unknown"
        self.lines += 1
        self.say(f"{self.label}: {100 * frac:.0f} % ({outer.done:.0f}/{outer.total:.0f} {outer.unit}), "
                 f"elapsed {format_seconds(elapsed)}, ETA {eta}")


_current: ContextVar[_Reporter | None] = ContextVar("qvc_progress", default=None)
#: Seconds between two progress lines, and before the first one (short steps show none).
EVERY_S = 10.0
FIRST_AFTER_S = 5.0


@contextmanager
def reporting(say: Callable[[str], None] | None, label: str, *, every_s: float | None = None,
              first_after_s: float | None = None) -> Iterator[None]:
    """Show progress of the tasks opened inside, through ``say``, at most every ``every_s`` seconds
    (default :data:`EVERY_S`).

    Nothing is shown in the first ``first_after_s`` seconds (default :data:`FIRST_AFTER_S`), so
    short steps show none; ``say=None`` shows nothing.

    Examples
    --------
    >>> lines = []
    >>> with reporting(lines.append, "qsvc fit", every_s=0, first_after_s=0):
    ...     with task(4, "circuits") as t:
    ...         for _ in range(4):
    ...             t.advance()
    >>> lines[-1].split(", elapsed")[0]
    'qsvc fit: 100 % (4/4 circuits)'
    """
    if say is None:
        yield
        return
    token = _current.set(_Reporter(say, label, EVERY_S if every_s is None else every_s,
                                   FIRST_AFTER_S if first_after_s is None else first_after_s))
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def task(total: float, unit: str) -> Iterator[Task]:
    """A counted loop inside the current :func:`reporting` scope (a no-op outside one)."""
    reporter = _current.get()
    if reporter is None:
        yield _NULL
        return
    t = Task(total, unit, reporter)
    reporter.stack.append(t)
    try:
        yield t
    finally:
        reporter.stack.remove(t)


class StepEta:
    """ETA of a run made of named steps (model x seed): a step not yet seen is expected to take as
    long as the earlier steps of the same name, else the mean of all earlier steps.

    Examples
    --------
    >>> eta = StepEta(["svm", "qsvc", "svm", "qsvc"])
    >>> eta.done("svm", 1.0); eta.done("qsvc", 9.0)
    >>> eta.remaining_s()  # one more svm (1 s) and one more qsvc (9 s)
    10.0
    >>> eta.line()
    'run: 2/4 steps, elapsed 0m10s, ETA 0m10s'
    """

    def __init__(self, steps: list[str]) -> None:
        self.steps = list(steps)
        self.times: list[tuple[str, float]] = []

    def done(self, name: str, seconds: float) -> None:
        """The next step, ``name``, took ``seconds``."""
        self.times.append((name, float(seconds)))

    def remaining_s(self) -> float:
        """Expected seconds of the steps still to run (nan before the first step is done)."""
        if not self.times:
            return float("nan")
        mean = sum(t for _, t in self.times) / len(self.times)
        by_name: dict[str, list[float]] = {}
        for name, t in self.times:
            by_name.setdefault(name, []).append(t)
        rest = self.steps[len(self.times):]
        return sum(sum(by_name[n]) / len(by_name[n]) if n in by_name else mean for n in rest)

    def line(self) -> str:
        """``run: k/n steps, elapsed E, ETA R``."""
        elapsed = sum(t for _, t in self.times)
        left = self.remaining_s()
        eta = "unknown" if left != left else format_seconds(left)
        return f"run: {len(self.times)}/{len(self.steps)} steps, elapsed {format_seconds(elapsed)}, ETA {eta}"
