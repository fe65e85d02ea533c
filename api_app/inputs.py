"""What every API request passes through before a view sees it, so that no input reaches a 500
(decision 0902): a body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413, JSON beyond the bounds of
tasks_app.jsontext and bytes no store can keep (NUL, unpaired surrogates, CR/LF in a header) in
the query, the path, a header or a form are a 400. Each is raised as a DRF error, so each
dialect answers it in its own envelope."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.request import Request

from tasks_app import jsontext


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "the request body is too large"


def too_large() -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE ({settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes)")


def read_limited(stream: Any) -> bytes:
    """The whole body, refused past DATA_UPLOAD_MAX_MEMORY_SIZE without reading much further."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = stream.read() if limit is None else stream.read(limit + 1)
    if limit is not None and len(body) > limit:
        raise too_large()
    return bytes(body)


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, within the size and the bounds of tasks_app.jsontext."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        if stream is None:
            return None
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return jsontext.loads(read_limited(stream).decode(encoding))
        except (ValueError, LookupError) as error:  # UnicodeDecodeError is a ValueError
            raise ParseError(f"JSON parse error - {error}") from None


class CheckedFormParser(FormParser):
    """DRF's form parser; a field that cannot be stored is refused, naming it."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        for name, values in data.lists():
            _refuse_unstorable(name, [name, *values])
        return data


def _refuse_unstorable(field: str, texts: list[str]) -> None:
    for text in texts:
        problem = jsontext.text_problem(text)
        if problem:
            raise ValidationError({field: [problem]})


def _refuse_bad_header(name: str, value: str) -> None:
    if "\r" in value or "\n" in value or "\x00" in value:
        raise ValidationError({name: ["a header value may not contain CR, LF or NUL"]})


class CheckedInputNegotiation(DefaultContentNegotiation):
    """DRF's content negotiation, which every API request meets first (before authentication):
    the query, the path and the headers are checked here. The check is skipped when DRF
    negotiates again to render an error (``force``)."""

    def select_renderer(self, request: Request, renderers: Any, format_suffix: str | None = None) -> Any:
        check_request(request)
        return super().select_renderer(request, renderers, format_suffix)


def check_request(request: Request) -> None:
    if getattr(request, "_inputs_checked", False):
        return
    request._inputs_checked = True  # type: ignore[attr-defined]
    _refuse_unstorable("path", [request.path])
    for name, values in request.query_params.lists():
        _refuse_unstorable(name, [name, *values])
    for key, value in request.META.items():
        if key.startswith("HTTP_") and isinstance(value, str):
            _refuse_bad_header(key[5:].replace("_", "-").title(), value)
