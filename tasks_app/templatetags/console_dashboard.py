"""``{% console_dashboard %}``: the dashboard on the admin's front page (see tasks_app.admin.dashboard)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("admin/console/dashboard.html", takes_context=True)
def console_dashboard(context: dict[str, Any]) -> dict[str, Any]:
    from tasks_app.admin.dashboard import dashboard_context

    return dashboard_context(context["request"])
