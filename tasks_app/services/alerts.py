"""Alert rules: the only writer of AlertRule and AlertState, and what decides the notices.

A job's consecutive failed attempts are counted per matching rule; at ``after_failures`` one
"failing" notice goes out, then one reminder per ``remind_every_seconds`` while it still fails,
and one "recovered" notice at its next success (only if a failing notice went out). Notices are
sent by a Celery task after the commit, with retries, over the callbacks' HTTP transport."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from tasks_app import scope, signing
from tasks_app.callbacks.http import send_http, validate_url
from tasks_app.egress import Transport
from tasks_app.exceptions import InvalidInput
from tasks_app.models import AlertRule, AlertState, Execution, ExecutionStatus, Job
from tasks_app.services import audit
from tasks_app.services.registry import clean_fields

# Workers read the rules at most this stale; a change made in the same process is seen at once.
RULES_CACHE_SECONDS = 5.0
_cache: tuple[float, list[AlertRule]] = (0.0, [])
AUDITED = ("namespace", "url", "after_failures", "remind_every_seconds", "email", "enabled")


def _whole(value: Any, *, field: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InvalidInput(f"must be a whole number of at least {low}", field=field)
    return value


def _pattern(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise InvalidInput("must be a namespace or a pattern such as billing-* (at most 200 characters)", field="namespace")
    return value.strip()


def _emails(value: Any) -> str:
    if not isinstance(value, str) or any(part.strip() and "@" not in part for part in value.split(",")):
        raise InvalidInput("must be e-mail addresses separated by commas", field="email")
    return ",".join(part.strip() for part in value.split(",") if part.strip())


CLEANERS = {
    "namespace": _pattern,
    "url": lambda v: validate_url(v, field="url"),
    "after_failures": lambda v: _whole(v, field="after_failures", low=1),
    "remind_every_seconds": lambda v: _whole(v, field="remind_every_seconds", low=1),
    "email": _emails,
    "enabled": lambda v: bool(v),
}


def _forget_cached_rules() -> None:
    global _cache
    _cache = (0.0, [])


def _record(rule: AlertRule, action: str, before: dict[str, Any]) -> None:
    after = {} if action == "delete" else {name: getattr(rule, name) for name in AUDITED}
    audit.record(
        action=action,
        object_type="alert_rule",
        object_id=rule.pk,
        namespace=rule.namespace,
        changes=audit.diff(before, after),
        label=str(rule),
    )
    transaction.on_commit(_forget_cached_rules)


@transaction.atomic
def create_alert_rule(*, namespace: str = "*", url: str, **options: Any) -> AlertRule:
    values = clean_fields({"namespace": namespace, "url": url, **options}, CLEANERS)
    scope.current().require_write(values["namespace"])  # the pattern must lie within the caller's namespaces
    rule = AlertRule.objects.create(**values)
    _record(rule, "create", {})
    return rule


@transaction.atomic
def update_alert_rule(*, rule: AlertRule, **changes: Any) -> AlertRule:
    stored = AlertRule.objects.get(pk=rule.pk)  # as stored: a form may have set the instance's fields
    before = {name: getattr(stored, name) for name in AUDITED}
    values = clean_fields(changes, CLEANERS)
    for pattern in {stored.namespace, values.get("namespace", stored.namespace)}:
        scope.current().require_write(pattern)
    for name, value in values.items():
        setattr(rule, name, value)
    rule.save()
    _record(rule, "update", before)
    return rule


@transaction.atomic
def delete_alert_rule(*, rule: AlertRule) -> None:
    scope.current().require_write(rule.namespace)
    _record(rule, "delete", {name: getattr(rule, name) for name in AUDITED})
    rule.delete()


def _rules() -> list[AlertRule]:
    global _cache
    read_at, rules = _cache
    if time.monotonic() - read_at > RULES_CACHE_SECONDS:
        rules = list(AlertRule.objects.filter(enabled=True))
        _cache = (time.monotonic(), rules)
    return rules


def attempts_ended(executions: Sequence[Execution]) -> None:
    """Count failures and successes of jobs some rule watches; costs nothing without rules."""
    rules = _rules()
    if not rules:
        return
    for execution in executions:
        job, job_id = execution.job, execution.job_id
        watching = [rule for rule in rules if job is not None and fnmatchcase(job.namespace, rule.namespace)]
        if not watching or job_id is None or execution.status == ExecutionStatus.SKIPPED:
            continue
        if execution.status == ExecutionStatus.FAILED:
            _failed(job_id, execution.error, watching)
        else:
            _succeeded(job_id)


def _due_notice(rule: AlertRule, state: AlertState, now: datetime) -> str | None:
    if state.failures < rule.after_failures:
        return None
    if state.notified_at is None:
        return "failing"
    return "still_failing" if now - state.notified_at >= timedelta(seconds=rule.remind_every_seconds) else None


@transaction.atomic
def _failed(job_id: int, error: str, rules: list[AlertRule]) -> None:
    now = timezone.now()
    for rule in rules:
        state, _ = AlertState.objects.select_for_update().get_or_create(rule=rule, job_id=job_id)
        state.failures += 1
        state.last_error = error[:2000]
        event = _due_notice(rule, state, now)
        if event:
            state.notified_at = now
            _send_on_commit(rule, _notice(event, Job.objects.get(pk=job_id), state))
        state.save()


@transaction.atomic
def _succeeded(job_id: int) -> None:
    states = list(AlertState.objects.select_for_update().select_related("rule").filter(job_id=job_id))
    if not states:
        return
    job = Job.objects.get(pk=job_id)
    for state in states:
        if state.notified_at is not None:
            _send_on_commit(state.rule, _notice("recovered", job, state))
    AlertState.objects.filter(pk__in=[state.pk for state in states]).delete()


def _notice(event: str, job: Job, state: AlertState) -> dict[str, Any]:
    """``id`` names this notice (the same on each retry of its delivery: its webhook-id)."""
    return {
        "id": f"alert_{state.rule_id}_{job.pk}_{event}_{round(timezone.now().timestamp() * 1_000_000)}",
        "event": "recovered" if event == "recovered" else "failing",
        "reminder": event == "still_failing",
        "job": {"id": job.pk, "namespace": job.namespace, "name": job.name, "dialect": job.dialect},
        "failures": state.failures,
        "last_error": state.last_error,
        "text": _text(event, job, state),
    }


def _text(event: str, job: Job, state: AlertState) -> str:
    """One line that reads well in Slack (mrkdwn) and in an e-mail subject."""
    name = f"*{job.namespace}/{job.name}* (job {job.pk})"
    if event == "recovered":
        return f":white_check_mark: {name} recovered after {state.failures} failed attempt(s) in a row."
    still = "is still failing" if event == "still_failing" else "is failing"
    return f":rotating_light: {name} {still}: {state.failures} failed attempt(s) in a row. Last error: {state.last_error or 'unknown'}"


def _send_on_commit(rule: AlertRule, notice: dict[str, Any]) -> None:
    from tasks_app.tasks import deliver_alert  # tasks import the services: bound late

    transaction.on_commit(lambda: deliver_alert.apply_async(args=[rule.pk, notice], priority=0))


class AlertNotDelivered(Exception):
    """The webhook did not take a notice (the task retries it)."""


def deliver_notice(*, rule_id: int, notice: dict[str, Any], first_try: bool = True, transport: Transport | None = None) -> None:
    """POST the notice to the rule's webhook as callbacks call (the egress policy and signing
    apply), through ``transport`` (the worker runtime's); e-mail it too, once, when the rule
    names addresses."""
    rule = AlertRule.objects.filter(pk=rule_id).first()
    if rule is None:  # deleted since: nobody to tell
        return
    if first_try and rule.email:
        send_mail(notice["text"], json.dumps(notice, indent=2), None, rule.email.split(","), fail_silently=True)
    body = json.dumps(notice).encode()
    headers = {"Content-Type": "application/json", "X-Alert-Rule": str(rule.pk)}
    # Signed as the job's own callbacks are (Standard Webhooks, its namespace's secret).
    headers |= signing.webhook_headers(namespace=notice["job"]["namespace"], message_id=notice["id"], body=body)
    arguments = {"method": "POST", "url": rule.url, "headers": headers, "data": body}
    outcome = send_http(arguments, timeout=settings.ALERT_TIMEOUT_SECONDS, transport=transport)
    if not outcome.succeeded:
        raise AlertNotDelivered(f"{rule.url}: {outcome.error}")
