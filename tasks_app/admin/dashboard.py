"""The dashboard on the admin's front page: jobs by state, executions per hour by outcome (an
SVG drawn here: the console loads nothing from the network), fire lateness, the next fires and
the jobs failing most. Every number comes from a bounded query in tasks_app.selectors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from tasks_app import selectors
from tasks_app.admin import display
from tasks_app.metrics import depths
from tasks_app.models import ExecutionStatus

admin.site.index_template = "admin/console/index.html"
admin.site.site_header = "Job platform console"
admin.site.index_title = "Dashboard"

# Bottom to top in each bar, with the colours of the status badges.
STACK = [(ExecutionStatus.SUCCEEDED, "#1e7e34"), (ExecutionStatus.FAILED, "#b02a37"), (ExecutionStatus.SKIPPED, "#6c757d")]
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 760, 200, 44, 24, 10


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    bucket: selectors.HourBucket


def _n(value: float) -> str:
    return f"{value:.1f}"


def _segments(bar: Bar, scale: float) -> SafeString:
    base = float(HEIGHT - BOTTOM)
    parts = []
    for status, colour in STACK:
        count = bar.bucket.counts.get(status, 0)
        if count:
            height = count * scale
            base -= height
            title = f"{bar.bucket.hour:%H}:00 {status}: {count}"
            rect = '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>'
            parts.append(format_html(rect, _n(bar.x), _n(base), _n(bar.width), _n(height), colour, title))
    return mark_safe("".join(parts))  # noqa: S308  (every part is format_html output)


def _axis(bars: list[Bar], peak: int) -> SafeString:
    bottom = HEIGHT - BOTTOM
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>',
        ((_n(bar.x + bar.width / 2), HEIGHT - 8, f"{bar.bucket.hour:%H}:00") for index, bar in enumerate(bars) if index % 3 == 0),
    )
    line = format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"/>', LEFT, bottom, WIDTH, bottom)
    top = format_html('<text x="{}" y="{}" font-size="10" text-anchor="end">{}</text>', LEFT - 4, TOP + 8, peak)
    zero = format_html('<text x="{}" y="{}" font-size="10" text-anchor="end">0</text>', LEFT - 4, bottom)
    return format_html("{}{}{}{}", line, top, zero, labels)


def hourly_chart(buckets: list[selectors.HourBucket]) -> SafeString:
    """Stacked bars, one per hour, scaled to the busiest hour; each segment has a tooltip."""
    peak = max((bucket.total for bucket in buckets), default=0)
    step = (WIDTH - LEFT) / max(len(buckets), 1)
    bars = [Bar(LEFT + index * step + 1, step - 2, bucket) for index, bucket in enumerate(buckets)]
    scale = (HEIGHT - BOTTOM - TOP) / peak if peak else 0
    body = mark_safe("".join(_segments(bar, scale) for bar in bars))  # noqa: S308
    svg = (
        '<svg class="console-chart" role="img" aria-label="executions per hour by outcome" viewBox="0 0 {} {}" width="100%" '
        'style="max-width:{}px" xmlns="http://www.w3.org/2000/svg"><title>Executions per hour, last 24 hours</title>{}{}</svg>'
    )
    return format_html(svg, WIDTH, HEIGHT, WIDTH, _axis(bars, peak), body)


def _lateness(lateness: selectors.Lateness) -> dict[str, str | int]:
    return {"p50": display.milliseconds(lateness.p50), "p99": display.milliseconds(lateness.p99), "samples": lateness.samples}


def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    """What the dashboard template shows; empty for a user who may not view jobs and executions."""
    user = request.user
    if not (user.has_perm("tasks_app.view_job") and user.has_perm("tasks_app.view_execution")):
        return {"allowed": False}
    now = timezone.now()
    buckets = selectors.executions_per_hour(now=now)
    upcoming = selectors.next_fires()
    totals = {status: sum(b.counts.get(status, 0) for b in buckets) for status, _ in STACK}
    return {
        "allowed": True,
        "states": selectors.job_states(),
        "chart": hourly_chart(buckets),
        "totals": [(status, colour, totals[status]) for status, colour in STACK],
        "lateness": _lateness(selectors.fire_lateness(now=now)),
        "overdue": selectors.overdue(now=now),
        "next_fires": [
            (job, display.moment(job.next_fire_at, job.time_zone), display.describe_trigger(job.trigger, now=now)) for job in upcoming
        ],
        "failing": selectors.failing_jobs(now=now, window=timedelta(hours=24)),
        **depths.template_context(),
    }
