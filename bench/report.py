"""Prints benchmark figures as a Markdown table with ratios to a baseline."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One measured rate."""

    name: str
    operations: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.operations / self.seconds


def measure(name: str, operations: int, run: Callable[[], None]) -> Figure:
    started = time.perf_counter()
    run()
    return Figure(name, operations, time.perf_counter() - started)


def table(title: str, baseline: Figure, figures: list[Figure], unit: str = "ops/s") -> str:
    lines = [f"\n### {title}\n", f"| what | {unit} | × {baseline.name} |", "|---|---:|---:|"]
    for figure in [baseline, *figures]:
        lines.append(f"| {figure.name} | {figure.rate:,.0f} | {figure.rate / baseline.rate:.2f} |")
    return "\n".join(lines)
