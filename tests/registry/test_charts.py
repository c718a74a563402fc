"""Server-drawn SVG charts: well-formed, labelled, proportional, and safe with any organisation name."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from registry.pages import charts

NS = "{http://www.w3.org/2000/svg}"


def _rects(svg: str) -> list[ET.Element]:
    return list(ET.fromstring(svg).iter(f"{NS}rect"))


def test_progress_bar_is_proportional_and_says_the_figure() -> None:
    svg = charts.progress("Progress", 5000, 20000, caption="Devices")
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.get("aria-label") == "Progress"
    widths = [float(r.get("width", "0")) for r in _rects(svg)]
    assert widths == [640.0, 160.0]
    assert "25.0 %" in svg
    assert float(_rects(charts.progress("p", 30000, 20000, caption="c"))[1].get("width", "0")) == 640.0


def test_grouped_bars_scale_to_the_peak_and_escape_labels() -> None:
    svg = charts.grouped_bars("Per month", ["2025-01", "2025-02"],
                              [charts.Series("<b>erased</b>", charts.BLUE, (10, 20)),
                               charts.Series("reused", charts.ORANGE, (5, 0))])
    bars = [r for r in _rects(svg) if r.find(f"{NS}title") is not None]
    heights = {r.find(f"{NS}title").text: float(r.get("height", "0")) for r in bars}  # type: ignore[union-attr]
    assert heights["2025-02 - <b>erased</b>: 20"] == 2 * heights["2025-01 - <b>erased</b>: 10"]
    assert heights["2025-02 - reused: 0"] == 0
    assert "<b>" not in svg


def test_stacked_rows_total_per_organisation() -> None:
    svg = charts.stacked_rows("Per refurbisher", ["Envie & Co", "Atelier"],
                              [charts.Series("reuse", charts.GREEN, (3, 1)),
                               charts.Series("parts", charts.GREY, (1, 0))])
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "Envie & Co" in texts and "4" in texts and "1" in texts
    assert charts.stacked_rows("empty", [], []).startswith("<svg")
