"""The hangfire wire format (TaskProducerService's EnqueueTaskReq and ScheduleTaskReq) in its
JSON names. Fields the seed does not list (the gateway's common parameters) are ignored."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.core.validators import RegexValidator
from rest_framework import serializers
from rest_framework.request import Request

from api_app.hangfire.rules import Task

INT32_MAX = 2**31 - 1
REQUEST_ID_MAX = 128  # leaves room in a job name for "#<job id>" (see rules.submit_task)
# Both become header values on the calls the job makes: no control characters (no CR/LF).
_PRINTABLE = re.compile(r"\A[^\x00-\x1f\x7f]*\Z")
_NO_CONTROL = RegexValidator(_PRINTABLE, "must not contain control characters")


class StringField(serializers.CharField):
    """A JSON string and nothing else: unlike DRF's CharField, a number is not turned into one."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            raise serializers.ValidationError("must be a string")
        return super().to_internal_value(data)


def _id_field() -> serializers.IntegerField:
    # proto3's JSON reads an int32 from a number or a string of digits; 0 is an unset field.
    return serializers.IntegerField(min_value=1, max_value=INT32_MAX)


def _first_hop(forwarded: str) -> str:
    return forwarded.split(",")[0].strip()


class EnqueueTaskSerializer(serializers.Serializer):
    """EnqueueTaskReq. ``xRequestId`` in the body wins over the X-Request-Id header (generated
    when neither is given); ``clientIp`` in the body wins over the caller's address (the first
    X-Forwarded-For hop, else the peer). The context carries ``endpoint`` and ``transfer``."""

    serviceId = _id_field()  # noqa: N815  (the wire's JSON names)
    messageId = _id_field()  # noqa: N815
    # DRF's metaclass takes declared fields out of the class, so this does not hide Serializer.data.
    data = StringField(required=False, allow_blank=True, trim_whitespace=False, default="")  # type: ignore[assignment]
    clientIp = StringField(required=False, allow_blank=True, max_length=255, validators=[_NO_CONTROL])  # noqa: N815
    xRequestId = StringField(required=False, allow_blank=True, max_length=REQUEST_ID_MAX, validators=[_NO_CONTROL])  # noqa: N815

    @property
    def request(self) -> Request:
        return self.context["request"]

    def header_request_id(self) -> str:
        header = self.request.headers.get("X-Request-Id", "").strip()
        if len(header) > REQUEST_ID_MAX or not _PRINTABLE.match(header):
            problem = f"the X-Request-Id header must be at most {REQUEST_ID_MAX} characters, without control characters"
            raise serializers.ValidationError({"xRequestId": [problem]})
        return header

    def client_ip(self, attrs: dict[str, Any]) -> str:
        forwarded = _first_hop(self.request.headers.get("X-Forwarded-For", ""))
        return attrs.get("clientIp", "").strip() or forwarded or self.request.META.get("REMOTE_ADDR", "")

    def delay_seconds(self, attrs: dict[str, Any]) -> int:
        return 0

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        request_id = attrs.get("xRequestId", "").strip() or self.header_request_id() or str(uuid.uuid4())
        task = Task(
            service_id=attrs["serviceId"], message_id=attrs["messageId"], data=attrs["data"],
            delay_seconds=self.delay_seconds(attrs), transfer=self.context["transfer"], request_id=request_id,
            client_ip=self.client_ip(attrs)[:255], endpoint=self.context["endpoint"],
        )  # fmt: skip
        return {"task": task}


class ScheduleTaskSerializer(EnqueueTaskSerializer):
    """ScheduleTaskReq: ``delay`` in minutes (schedule, scheduletransfor). An absent delay is 0,
    as proto3 clients leave out fields at their default."""

    unit_seconds = 60
    delay = serializers.IntegerField(min_value=0, max_value=525_600, required=False, default=0, help_text="minutes; 0: now")

    def delay_seconds(self, attrs: dict[str, Any]) -> int:
        return int(attrs["delay"]) * self.unit_seconds


class ScheduleSecondTaskSerializer(ScheduleTaskSerializer):
    """ScheduleTaskReq: ``delay`` in seconds (schedulesecond, schedulesecondtransfor)."""

    unit_seconds = 1
    delay = serializers.IntegerField(min_value=0, max_value=31_536_000, required=False, default=0, help_text="seconds; 0: now")
