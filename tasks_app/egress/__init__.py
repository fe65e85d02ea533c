"""Every outbound call goes through here: one egress policy (tasks_app.egress.policy), one
wall-clock deadline per exchange (deadline), policy-checked connections (connect) and HTTP with
checked redirects and a capped body (http). Decision 0901."""

from __future__ import annotations

from tasks_app.egress.checks import check_host, check_url
from tasks_app.egress.connect import connect
from tasks_app.egress.deadline import bounded
from tasks_app.egress.http import Expired, Reply, Transport, fetch
from tasks_app.egress.policy import EgressDenied

__all__ = ["EgressDenied", "Expired", "Reply", "Transport", "bounded", "check_host", "check_url", "connect", "fetch"]
