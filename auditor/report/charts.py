"""Small inline SVG charts drawn by the project: no script, no network, readable as text too."""

from __future__ import annotations

from markupsafe import escape

OUTCOME_COLOURS = {
    "ok": "#2e7d32", "redirected": "#558b2f", "dead": "#c62828", "soft-404": "#ad1457",
    "blocked": "#6a1b9a", "timeout": "#ef6c00", "error": "#8d6e63", "skipped": "#9e9e9e",
}


def bar_chart(items: list[tuple[str, int]], title: str) -> str:
    """A horizontal bar chart of (label, count), with the numbers written beside the bars."""
    items = items[:25]
    if not items:
        return ""
    width, bar_h, gap, label_w = 640, 18, 6, 210
    top = max(n for _, n in items) or 1
    height = len(items) * (bar_h + gap) + 10
    parts = [f'<svg class="chart" role="img" aria-labelledby="chart-title" viewBox="0 0 {width} {height}" '
             f'width="100%" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="chart-title">{escape(title)}</title>']
    for i, (label, n) in enumerate(items):
        y = i * (bar_h + gap) + 5
        w = max(2, int((width - label_w - 60) * n / top))
        parts.append(f'<text x="{label_w - 8}" y="{y + 13}" text-anchor="end" class="chart-label">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" class="chart-bar"><title>'
                     f'{escape(label)}: {n}</title></rect>')
        parts.append(f'<text x="{label_w + w + 6}" y="{y + 13}" class="chart-value">{n}</text>')
    parts.append("</svg>")
    return "".join(parts)


def outcome_chart(history: list[tuple[str, dict[str, int]]]) -> str:
    """Stacked bars of link outcomes per day of checking, with a legend above them."""
    if not history:
        return ""
    history = history[-30:]
    width, height, pad_left, pad_top, pad_bottom = 640, 240, 40, 34, 40
    col_w = max(8, min(40, (width - pad_left - 10) // max(1, len(history)) - 6))
    top = max(sum(c.values()) for _, c in history) or 1
    plot_h = height - pad_top - pad_bottom
    parts = [f'<svg class="chart" role="img" aria-labelledby="outcome-title" viewBox="0 0 {width} {height}" '
             f'width="100%" xmlns="http://www.w3.org/2000/svg">',
             '<title id="outcome-title">Link outcomes by day of checking</title>']
    legend_x = pad_left
    for outcome, colour in OUTCOME_COLOURS.items():
        parts.append(f'<rect x="{legend_x}" y="6" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{legend_x + 13}" y="15" class="chart-value">{outcome}</text>')
        legend_x += 20 + 7 * len(outcome)
    parts.append(f'<text x="{pad_left - 6}" y="{pad_top + 4}" text-anchor="end" class="chart-value">{top}</text>')
    parts.append(f'<text x="{pad_left - 6}" y="{height - pad_bottom}" text-anchor="end" class="chart-value">0</text>')
    for i, (day, counts) in enumerate(history):
        x = pad_left + i * (col_w + 6)
        y = height - pad_bottom
        for outcome, colour in OUTCOME_COLOURS.items():
            n = counts.get(outcome, 0)
            if not n:
                continue
            h = max(1, int(plot_h * n / top))
            y -= h
            parts.append(f'<rect x="{x}" y="{y}" width="{col_w}" height="{h}" fill="{colour}">'
                         f'<title>{escape(day)} {outcome}: {n}</title></rect>')
        parts.append(f'<text x="{x}" y="{height - pad_bottom + 14}" class="chart-value" '
                     f'transform="rotate(30 {x} {height - pad_bottom + 14})">{escape(day[5:])}</text>')
    parts.append("</svg>")
    return "".join(parts)
