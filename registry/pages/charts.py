"""Charts drawn on the server as inline SVG: readable at a glance, no JavaScript, printable.

Each chart carries a title and an aria-label, and the page shows the same figures in a table beside
it, so a screen reader or a printout loses nothing. Colours are chosen for contrast on white and stay
distinguishable for the common colour-vision deficiencies (blue / orange / grey, plus labels).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

BLUE = "#1a5fb4"
ORANGE = "#b35900"
GREEN = "#1f6f43"
GREY = "#5e5c64"
RED = "#b3261e"
INK = "#1d1d1d"


@dataclass(frozen=True)
class Series:
    label: str
    colour: str
    values: tuple[int, ...]


def _svg(width: float, height: float, label: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" width="100%" '
            f'role="img" aria-label="{escape(label)}" class="chart"><title>{escape(label)}</title>'
            + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = 12, weight: str = "normal",
          colour: str = INK) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-weight="{weight}" fill="{colour}" '
            f'text-anchor="{anchor}" font-family="sans-serif">{escape(text)}</text>')


def progress(label: str, done: int, target: int, *, caption: str) -> str:
    """One bar toward a target, with the figure and the percentage written on it."""
    width, height, bar = 640.0, 64.0, 28.0
    share = min(done / target, 1.0) if target > 0 else 0.0
    body = [
        f'<rect x="0" y="22" width="{width}" height="{bar}" rx="4" fill="#e6e6e6"/>',
        f'<rect x="0" y="22" width="{width * share:.1f}" height="{bar}" rx="4" fill="{GREEN}"/>',
        _text(0, 15, caption, size=13, weight="bold"),
        _text(width, 15, f"{done:,} / {target:,} ({share * 100:.1f} %)".replace(",", "\u202f"), anchor="end",
              size=13, weight="bold"),
    ]
    return _svg(width, height, label, body)


def grouped_bars(label: str, categories: Sequence[str], series: Sequence[Series]) -> str:
    """Vertical bars per category (e.g. per month), one bar per series, with a legend and value labels."""
    width, height = 640.0, 260.0
    left, bottom, top = 44.0, 40.0, 36.0
    plot_h = height - bottom - top
    top_value = max((v for s in series for v in s.values), default=0)
    step = max(-(-top_value // 4), 1)  # whole-number gridlines: 4 steps reaching at least the tallest bar
    peak = step * 4
    body = []
    for i, s in enumerate(series):
        x = left + i * 150.0
        body.append(f'<rect x="{x}" y="6" width="14" height="14" fill="{s.colour}"/>')
        body.append(_text(x + 20, 18, s.label))
    for tick in range(5):
        y = top + plot_h - plot_h * tick / 4
        body.append(f'<line x1="{left}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d0d0"/>')
        body.append(_text(left - 6, y + 4, f"{step * tick:,}".replace(",", "\u202f"), anchor="end", size=10,
                          colour=GREY))
    if not categories:
        return _svg(width, height, label, body)
    slot = (width - left) / len(categories)
    bar_w = max(min(slot * 0.8 / max(len(series), 1), 40), 2)
    for c, category in enumerate(categories):
        x0 = left + c * slot + (slot - bar_w * len(series)) / 2
        for i, s in enumerate(series):
            value = s.values[c] if c < len(s.values) else 0
            h = plot_h * value / peak
            x = x0 + i * bar_w
            body.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" '
                        f'fill="{s.colour}"><title>{escape(f"{category} - {s.label}: {value}")}</title></rect>')
            if value and bar_w >= 14 and len(categories) <= 12:
                body.append(_text(x + bar_w / 2, top + plot_h - h - 3, str(value), anchor="middle", size=9))
        body.append(_text(left + c * slot + slot / 2, height - bottom + 16, category, anchor="middle", size=10))
    return _svg(width, height, label, body)


def stacked_rows(label: str, rows: Sequence[str], series: Sequence[Series]) -> str:
    """One horizontal stacked bar per row (e.g. per refurbisher), totals written at the end."""
    row_h, gap, name_w, width = 26.0, 10.0, 180.0, 640.0
    height = 30 + len(rows) * (row_h + gap)
    totals = [sum(s.values[r] for s in series) for r in range(len(rows))]
    peak = max(totals, default=0) or 1
    body = []
    for i, s in enumerate(series):
        x = i * 130.0
        body.append(f'<rect x="{x}" y="4" width="14" height="14" fill="{s.colour}"/>')
        body.append(_text(x + 20, 16, s.label))
    scale = (width - name_w - 60) / peak
    for r, name in enumerate(rows):
        y = 30 + r * (row_h + gap)
        body.append(_text(name_w - 8, y + row_h / 2 + 4, name if len(name) <= 26 else name[:25] + "…",
                          anchor="end"))
        x = float(name_w)
        for s in series:
            w = s.values[r] * scale
            if w > 0:
                body.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h}" fill="{s.colour}">'
                            f'<title>{escape(f"{name} - {s.label}: {s.values[r]}")}</title></rect>')
            x += w
        body.append(_text(x + 6, y + row_h / 2 + 4, str(totals[r]), weight="bold"))
    return _svg(width, height, label, body)
