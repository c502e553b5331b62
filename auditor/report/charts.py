"""Small charts drawn by the project: no script, no network, readable as text too.

The rule chart is HTML (a link per rule, bars sized in percent) so that its words keep their size at
any width; the link-outcome chart is inline SVG."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from urllib.parse import quote

from markupsafe import escape

SEVERITIES = ("error", "warning", "info")

OUTCOME_COLOURS = {
    "ok": "#2e7d32", "redirected": "#558b2f", "dead": "#c62828", "soft-404": "#ad1457",
    "blocked": "#6a1b9a", "timeout": "#ef6c00", "error": "#8d6e63", "skipped": "#9e9e9e",
}


def rule_bars(counts: Mapping[tuple[str, str], int], title: str, href_prefix: str, href_suffix: str = "") -> str:
    """Findings per rule, one bar per rule with a segment per severity (error, warning, info), rules with
    errors first and then by count. Each bar links to href_prefix + rule + href_suffix, which the
    report's script turns into a filter of the findings; the counts are written beside the bars."""
    per_rule: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SEVERITIES, 0))
    for (rule, severity), n in counts.items():
        if n > 0:
            per_rule[rule][severity if severity in SEVERITIES else "info"] += n
    if not per_rule:
        return ""

    def order(item: tuple[str, dict[str, int]]) -> tuple[int, int, str]:
        rule, c = item
        worst = next(i for i, s in enumerate(SEVERITIES) if c[s])
        return worst, -sum(c.values()), rule

    items = sorted(per_rule.items(), key=order)[:40]
    top = max(sum(c.values()) for _, c in items)
    parts = [f'<div class="rule-chart" role="group" aria-label="{escape(title)}">',
             '<p class="chart-legend" aria-hidden="true">'
             + "".join(f'<span class="swatch seg-{s}"></span> {s} ' for s in SEVERITIES) + "</p>",
             '<ul class="rule-bars">']
    for rule, c in items:
        total = sum(c.values())
        words = ", ".join(f"{c[s]} {s}" for s in SEVERITIES if c[s])
        segments = "".join(
            f'<span class="seg seg-{s}" style="width:{100 * c[s] / top:.2f}%"></span>' for s in SEVERITIES if c[s])
        parts.append(
            f'<li><a class="rule-bar" href="{escape(href_prefix + quote(rule, safe="-_.") + href_suffix)}" '
            f'data-rule="{escape(rule)}" title="Show only {escape(rule)}">'
            f'<span class="rule-name">{escape(rule)}</span>'
            f'<span class="rule-track" aria-hidden="true">{segments}</span>'
            f'<span class="rule-count">{total} <span class="rule-split">({escape(words)})</span></span></a></li>')
    parts.append("</ul></div>")
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
             '<title id="outcome-title">Cited URLs by outcome, per day of checking</title>']
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
                         f'<title>{escape(day)} {outcome}: {n} URL{"s" if n != 1 else ""}</title></rect>')
        parts.append(f'<text x="{x}" y="{height - pad_bottom + 14}" class="chart-value" '
                     f'transform="rotate(30 {x} {height - pad_bottom + 14})">{escape(day[5:])}</text>')
    parts.append("</svg>")
    return "".join(parts)
