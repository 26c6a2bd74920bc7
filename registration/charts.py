"""Charts drawn by the server as inline SVG: no script, no library, nothing fetched (hospital intranets).

Each chart is an accessible image (role="img" with a <title> and a <desc> that states the figures); the
report page also shows the same figures as a table.
"""

import math
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 760, 260
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 44, 12, 12, 44
BAR_COLOR = "#0d6efd"
MAX_X_LABELS = 12


def _nice_max(value: int) -> int:
    """A round axis maximum at or above value: 1, 2, 5 × 10^n."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover (the loop always returns)


def bar_chart_svg(bars: Sequence[tuple[str, int]], *, title: str, desc: str, chart_id: str) -> SafeString:
    """A vertical bar chart of (label, value) pairs; every bar carries its own <title> for a tooltip."""
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    top = _nice_max(max((value for _, value in bars), default=0))
    slot = plot_width / max(len(bars), 1)
    bar_width = max(slot * 0.7, 1)
    parts = [
        f'<svg class="app-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg" '
        'font-size="11">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    ticks = (0, top // 2, top) if top % 2 == 0 else (0, top)  # counts: whole numbers only
    for tick in ticks:
        y = MARGIN_TOP + plot_height - plot_height * tick / top
        label = str(tick)
        parts.append(
            f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{WIDTH - MARGIN_RIGHT}" y2="{y:.1f}" '
            'stroke="#dee2e6" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#495057">{label}</text>'
        )
    every = max(1, math.ceil(len(bars) / MAX_X_LABELS))
    for index, (label, value) in enumerate(bars):
        height = plot_height * value / top
        x = MARGIN_LEFT + index * slot + (slot - bar_width) / 2
        y = MARGIN_TOP + plot_height - height
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" height="{height:.1f}" fill="{BAR_COLOR}">'
            f"<title>{escape(label)}：{value}</title></rect>"
        )
        if index % every == 0:
            parts.append(
                f'<text x="{x + bar_width / 2:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" text-anchor="middle" '
                f'fill="#495057">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (every text above went through escape())


def share_bar_svg(
    parts: Sequence[tuple[str, int, str]], *, title: str, desc: str, chart_id: str
) -> SafeString:
    """One horizontal bar split into (label, value, colour) shares, with a legend that states the figures."""
    total = sum(value for _, value, _ in parts)
    width, bar_height, legend_y, columns = WIDTH, 36, 70, 2
    height = legend_y + 24 * ((len(parts) + columns - 1) // columns)
    out = [
        f'<svg class="app-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg" '
        'font-size="12">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    x = 0.0
    if total == 0:
        out.append(f'<rect x="0" y="8" width="{width}" height="{bar_height}" fill="#e9ecef"/>')
    for label, value, colour in parts:
        share = value / total if total else 0
        if share:
            out.append(
                f'<rect x="{x:.1f}" y="8" width="{width * share:.1f}" height="{bar_height}" fill="{colour}">'
                f"<title>{escape(label)}：{value}（{share:.1%}）</title></rect>"
            )
        x += width * share
    slot = width / columns
    for index, (label, value, colour) in enumerate(parts):
        left, top = (index % columns) * slot, legend_y + 24 * (index // columns)
        share = f"{value / total:.1%}" if total else "—"
        out.append(f'<rect x="{left:.1f}" y="{top - 10}" width="12" height="12" fill="{colour}"/>')
        text = f"{escape(label)} {value}（{share}）"
        out.append(f'<text x="{left + 18:.1f}" y="{top}" fill="#212529">{text}</text>')
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308  (every text above went through escape())
