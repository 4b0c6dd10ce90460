"""Geometry of the dashboard's server-rendered SVG charts (the templates draw it).

Every chart is laid out in a fixed viewBox (the SVG scales to the phone's width) and keeps the
values it was drawn from, so each mark has a tooltip and each chart a table for screen readers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

WIDTH = 360
HEIGHT = 180
LEFT = 44  # room for the y-axis labels
BOTTOM = 22  # room for the x-axis labels
TOP = 12


@dataclass(frozen=True, slots=True)
class Tick:
    y: float
    value: float


def nice_max(value: float) -> float:
    """The axis maximum: the next 1, 2, 2.5 or 5 × 10ⁿ at or above ``value`` (1 for 0)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _ticks(top: float, count: int = 4) -> list[Tick]:
    plot = HEIGHT - BOTTOM - TOP
    return [
        Tick(y=round(TOP + plot - plot * i / count, 1), value=top * i / count)
        for i in range(count + 1)
    ]


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    width: float
    label: str
    segments: tuple[tuple[float, float, float, str], ...]  # (y, height, value, series)
    total: float


@dataclass(frozen=True, slots=True)
class BarChart:
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    series: tuple[str, ...]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: float = HEIGHT - BOTTOM


def stacked_bars(
    labels: list[str], series: dict[str, list[float]], *, max_value: float | None = None
) -> BarChart:
    """Vertical bars, one per label, each stacked from the series in order."""
    names = tuple(series)
    totals = [sum(series[name][i] for name in names) for i in range(len(labels))]
    top = nice_max(max_value if max_value is not None else max(totals, default=0.0))
    plot_w = WIDTH - LEFT - 4
    plot_h = HEIGHT - BOTTOM - TOP
    slot = plot_w / max(len(labels), 1)
    bars = []
    for i, label in enumerate(labels):
        y = float(HEIGHT - BOTTOM)
        segments = []
        for name in names:
            value = series[name][i]
            h = plot_h * value / top if top else 0.0
            y -= h
            segments.append((round(y, 1), round(h, 1), value, name))
        bars.append(
            Bar(
                x=round(LEFT + i * slot + slot * 0.15, 1),
                width=round(slot * 0.7, 1),
                label=label,
                segments=tuple(segments),
                total=totals[i],
            )
        )
    return BarChart(tuple(bars), tuple(_ticks(top)), names)


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float
    label: str
    value: float


@dataclass(frozen=True, slots=True)
class LineChart:
    points: tuple[Point, ...]
    path: str
    ticks: tuple[Tick, ...]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: float = HEIGHT - BOTTOM


def line(labels: list[str], values: list[float | None], *, max_value: float = 100.0) -> LineChart:
    """A line through the known values (gaps where a value is None)."""
    top = nice_max(max_value)
    plot_w = WIDTH - LEFT - 12
    plot_h = HEIGHT - BOTTOM - TOP
    step = plot_w / max(len(labels) - 1, 1)
    points, path, pen_down = [], [], False
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        if value is None:
            pen_down = False
            continue
        x = round(LEFT + 6 + i * step, 1)
        y = round(TOP + plot_h - plot_h * min(value, top) / top, 1)
        points.append(Point(x, y, label, value))
        path.append(f"{'L' if pen_down else 'M'}{x},{y}")
        pen_down = True
    return LineChart(tuple(points), " ".join(path), tuple(_ticks(top)))


@dataclass(frozen=True, slots=True)
class Cell:
    x: float
    y: float
    value: float | None
    opacity: float
    dark: bool  # white text on a dark cell


@dataclass(frozen=True, slots=True)
class HeatRow:
    label: str
    size: int
    y: float
    cells: tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class Heatmap:
    rows: tuple[HeatRow, ...]
    columns: tuple[tuple[float, str], ...]
    cell: float
    width: float
    height: float
    left: float = 64


def heatmap(
    labels: list[str], sizes: list[int], table: list[list[float | None]], *, cell: float = 26
) -> Heatmap:
    """A cohort table as a grid: rows are cohorts, columns months since the first purchase."""
    left = 64.0
    columns = max((len(row) for row in table), default=0)
    rows = []
    for r, (label, size, values) in enumerate(zip(labels, sizes, table, strict=True)):
        y = 16 + r * cell
        cells = tuple(
            Cell(
                x=left + c * cell,
                y=y,
                value=value,
                opacity=0.0 if value is None else round(0.08 + 0.92 * min(value, 100) / 100, 2),
                dark=value is not None and value >= 50,
            )
            for c, value in enumerate(values)
        )
        rows.append(HeatRow(label, size, y, cells))
    return Heatmap(
        rows=tuple(rows),
        columns=tuple((left + c * cell + cell / 2, str(c)) for c in range(columns)),
        cell=cell,
        width=left + columns * cell + 2,
        height=16 + len(rows) * cell + 2,
    )


@dataclass(frozen=True, slots=True)
class Step:
    key: str
    value: int
    width: float
    y: float
    share: float | None  # of the first step, %


def funnel_steps(steps: list[tuple[str, int]], *, width: float = 220) -> tuple[Step, ...]:
    """Horizontal bars for a funnel, each as wide as its share of the first step."""
    first = steps[0][1] if steps else 0
    return tuple(
        Step(
            key=key,
            value=value,
            width=round(width * value / first, 1) if first else 0.0,
            y=i * 30.0,
            share=round(100 * value / first, 1) if first else None,
        )
        for i, (key, value) in enumerate(steps)
    )


def month_label(day: date, names: list[str]) -> str:
    """A short month label ("янв 26") from the month names of the user's language."""
    return f"{names[day.month - 1]} {day:%y}"
