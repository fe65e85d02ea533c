"""The job form's plain fields for a trigger and an HTTP callback: what an operator fills in
instead of JSON. They build the same JSON the API takes, checked by the domain's own rules, each
error shown on the field it is about. Anything they cannot express (another callback kind, an
interval's start or end, a cron's window) is edited as JSON, the form's advanced option."""

from __future__ import annotations

from typing import Any

from django import forms

from tasks_app.callbacks.http import BODY_FORMATS, METHODS

TRIGGER_KINDS = [("cron", "cron expression"), ("interval", "every N seconds"), ("at", "once, at a moment"),
                 ("delay", "once, after a delay"), ("now", "once, now")]  # fmt: skip
TRIGGER_KEYS = {"kind", "cron", "syntax", "at", "seconds", "every_seconds", "repeat_count", "start_at", "end_at", "time_zone"}
CALLBACK_KEYS = {"kind", "url", "method", "headers", "body", "body_format", "timeout_seconds", "success_regexp"}
# Where the domain's error about a JSON key is shown in the plain fields.
ERROR_FIELDS = {("trigger", key): f"trigger_{key}" for key in TRIGGER_KEYS} | {
    ("callback", key): f"callback_{key}" for key in ("url", "method", "headers", "body", "body_format", "timeout_seconds", "success_regexp")
}


def _text(**attrs: Any) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "vTextField", **attrs})


class JobFieldsMixin(forms.Form):
    editor = forms.ChoiceField(
        choices=[("fields", "the fields below"), ("json", "JSON (advanced)")], required=False, label="Edit trigger and callback with",
        widget=forms.RadioSelect, help_text="JSON reaches every option (other callback kinds, start and end times).",
    )  # fmt: skip
    trigger_kind = forms.ChoiceField(choices=TRIGGER_KINDS, required=False, label="Runs")
    trigger_cron = forms.CharField(required=False, label="Cron", widget=_text(placeholder="0 30 2 * * ?"),
                                   help_text="5 fields, or 6-7 with seconds first and an optional year (Quartz: ? L W #).")  # fmt: skip
    trigger_syntax = forms.ChoiceField(choices=[("", "by field count"), ("unix", "unix"), ("quartz", "quartz")], required=False,
                                       label="Cron syntax")  # fmt: skip
    trigger_every_seconds = forms.FloatField(required=False, min_value=0.001, label="Every (seconds)")
    trigger_repeat_count = forms.IntegerField(required=False, min_value=1, label="Fires in all", help_text="Empty: no limit.")
    trigger_start_at = forms.CharField(required=False, label="Starts at", widget=_text(placeholder="2026-12-24T18:00:00+08:00"),
                                       help_text="Interval: the first fire. Cron: no fire before it. Empty: now.")  # fmt: skip
    trigger_end_at = forms.CharField(required=False, label="Ends at", widget=_text(), help_text="No fire after it. Empty: never.")
    trigger_at = forms.CharField(required=False, label="At", widget=_text(placeholder="2026-12-24T18:00:00"),
                                 help_text="ISO 8601; without an offset it is read in the time zone below.")  # fmt: skip
    trigger_seconds = forms.FloatField(required=False, min_value=0, label="After (seconds)")
    trigger_time_zone = forms.CharField(required=False, label="Time zone", widget=_text(placeholder="Asia/Shanghai"))
    callback_url = forms.CharField(required=False, label="URL", widget=_text(size=70, placeholder="https://svc.example.com/run"))
    callback_method = forms.ChoiceField(choices=[(m, m) for m in METHODS], required=False, label="Method")
    callback_headers = forms.CharField(required=False, label="Headers", widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
                                       help_text="One per line: Name: value")  # fmt: skip
    callback_body = forms.CharField(required=False, label="Body", widget=forms.Textarea(attrs={"rows": 4, "cols": 70}))
    callback_body_format = forms.ChoiceField(choices=[(f, f) for f in BODY_FORMATS], required=False, label="Body format")
    callback_timeout_seconds = forms.FloatField(required=False, min_value=0.001, label="Timeout (seconds)")
    callback_success_regexp = forms.CharField(required=False, label="Success regexp", widget=_text(),
                                              help_text="Optional: the response body must match it too.")  # fmt: skip


def fits_fields(trigger: dict[str, Any] | None, callback: dict[str, Any] | None) -> bool:
    """Whether the plain fields can show (and so keep) everything in this trigger and callback."""
    trigger_keys = {key for key, value in (trigger or {}).items() if value is not None}
    callback_keys = {key for key, value in (callback or {}).items() if value is not None}
    return trigger_keys <= TRIGGER_KEYS and (not callback or callback.get("kind") == "http") and callback_keys <= CALLBACK_KEYS


def initial_fields(trigger: dict[str, Any], callback: dict[str, Any]) -> dict[str, Any]:
    values = {f"trigger_{key}": value for key, value in trigger.items() if key in TRIGGER_KEYS}
    values |= {f"callback_{key}": value for key, value in callback.items() if key in CALLBACK_KEYS and key != "headers"}
    values["callback_headers"] = "\n".join(f"{name}: {value}" for name, value in (callback.get("headers") or {}).items())
    return {k: ("" if v is None else v) for k, v in values.items()}


def _headers(text: str) -> dict[str, str]:
    headers = {}
    for line in filter(None, (line.strip() for line in text.splitlines())):
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise forms.ValidationError(f"{line!r}: write each header as Name: value")
        headers[name.strip()] = value.strip()
    return headers


def _present(data: dict[str, Any], prefix: str, keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: data[f"{prefix}_{key}"] for key in keys if data.get(f"{prefix}_{key}") not in (None, "")}


def trigger_from(data: dict[str, Any]) -> dict[str, Any]:
    kind = data.get("trigger_kind") or "cron"
    by_kind = {
        "cron": ("cron", "syntax", "start_at", "end_at"), "interval": ("every_seconds", "start_at", "end_at", "repeat_count"),
        "at": ("at",), "delay": ("seconds",), "now": (),
    }  # fmt: skip
    return {"kind": kind, **_present(data, "trigger", (*by_kind[kind], "time_zone"))}


def callback_from(data: dict[str, Any]) -> dict[str, Any]:
    """The HTTP callback the fields describe (raises ValidationError for malformed headers)."""
    keys = ("url", "method", "body", "body_format", "timeout_seconds", "success_regexp")
    return {"kind": "http", **_present(data, "callback", keys), "headers": _headers(data.get("callback_headers") or "")}
