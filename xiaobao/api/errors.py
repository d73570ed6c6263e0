"""One error shape for every API failure: {"code", "message", "field", "errors"}.

`code` is for machines (stable, English), `message` for people (Chinese), `field` the dotted path
of the offending input (``complainants.0.phone``) or null, `errors` every problem by field.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import set_rollback

from xiaobao.lib.errors import DomainError
from xiaobao.lib.web import domain_status

NOT_FOUND = "未找到该资源，或该资源不在您的管辖范围内。"

# DRF's own exceptions: our code and a Chinese message that does not depend on the request.
API_EXCEPTIONS: dict[type[exceptions.APIException], tuple[str, str | None]] = {
    exceptions.NotAuthenticated: (
        "not_authenticated",
        "请提供身份凭证：Authorization: Bearer <令牌>。",
    ),
    exceptions.AuthenticationFailed: ("authentication_failed", None),
    exceptions.PermissionDenied: ("permission_denied", "您没有执行此操作的权限。"),
    exceptions.NotFound: ("not_found", NOT_FOUND),
    exceptions.MethodNotAllowed: ("method_not_allowed", "不支持该请求方法。"),
    exceptions.NotAcceptable: ("not_acceptable", "无法提供所请求的响应格式。"),
    exceptions.UnsupportedMediaType: (
        "unsupported_media_type",
        "不支持该请求内容类型，请使用 application/json。",
    ),
    exceptions.ParseError: ("parse_error", "请求内容无法解析，请提交有效的 JSON。"),
    exceptions.Throttled: ("throttled", "请求过于频繁，请稍后再试。"),
}


class ErrorSerializer(serializers.Serializer):
    """The body of every error response (for the schema)."""

    code = serializers.CharField(help_text="机器可读的错误代码，如 invalid_transition")
    message = serializers.CharField(help_text="中文说明")
    field = serializers.CharField(allow_null=True, help_text="出错的字段（点分路径），无则为 null")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="按字段列出的全部错误",
    )


def body(code: str, message: str, field: str | None = None, errors: Any = None) -> dict[str, Any]:
    return {"code": code, "message": message, "field": field, "errors": errors or {}}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """{"complainants": [{"phone": ["…"]}]} → {"complainants.0.phone": ["…"]}."""
    out: dict[str, list[str]] = {}

    def merge(found: dict[str, list[str]]) -> None:
        for path, messages in found.items():
            out.setdefault(path, []).extend(messages)

    if isinstance(detail, dict):
        for key, value in detail.items():
            # An error of a whole object or list belongs to the path that leads to it.
            name = "" if key in ("non_field_errors", "__all__") else str(key)
            merge(_flatten(value, ".".join(p for p in (prefix, name) if p)))
    elif isinstance(detail, list) and any(isinstance(v, dict | list) for v in detail):
        for index, value in enumerate(detail):
            if value:
                merge(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
    elif isinstance(detail, list):
        out.setdefault(prefix, []).extend(str(v) for v in detail)
    else:
        out.setdefault(prefix, []).append(str(detail))
    return out


def _validation(exc: exceptions.ValidationError) -> Response:
    errors = _flatten(exc.detail)
    field, messages = next(iter(errors.items()), ("", ["提交的数据有误。"]))
    message = f"{field}：{messages[0]}" if field else messages[0]
    return Response(body("invalid", message, field or None, errors), status=400)


def _domain(exc: DomainError) -> Response:
    # The one mapping (xiaobao.lib.web); a well-formed request a rule refused is a 422 here.
    status = domain_status(exc, invalid=422)
    errors = {exc.field: [exc.message]} if exc.field else {}
    return Response(body(exc.code, exc.message, exc.field, errors), status=status)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]; anything unexpected stays a 500 (and gets logged)."""
    response: Response | None
    if isinstance(exc, DomainError):
        response = _domain(exc)
    elif isinstance(exc, Http404):
        response = Response(body("not_found", NOT_FOUND), status=404)
    elif isinstance(exc, DjangoPermissionDenied):
        response = Response(body("permission_denied", "您没有执行此操作的权限。"), status=403)
    elif isinstance(exc, exceptions.ValidationError):
        response = _validation(exc)
    elif isinstance(exc, exceptions.APIException):
        code, message = next(
            (v for k, v in API_EXCEPTIONS.items() if isinstance(exc, k)), ("error", None)
        )
        # DRF turns "not authenticated" into a 403 when no scheme can answer 401.
        if exc.status_code == 403 and code == "not_authenticated":
            code = "permission_denied"
        response = Response(body(code, message or str(exc.detail)), status=exc.status_code)
        if getattr(exc, "auth_header", None):
            response["WWW-Authenticate"] = exc.auth_header
        if isinstance(exc, exceptions.Throttled) and exc.wait:
            response["Retry-After"] = str(int(exc.wait))
    elif isinstance(exc, DataError) and "NUL" in str(exc):
        # PostgreSQL cannot hold U+0000 in text, whichever field or lookup carried it: the request
        # is invalid input, not a server error (SQLite would have stored it).
        response = Response(
            body("invalid", "请求内容含有空字符（U+0000），无法处理；请删除后重试。"), status=400
        )
    else:
        return None
    set_rollback()
    return response


# --- outside DRF: URLs that match no endpoint, and crashes -----------------------------------------

API_PREFIX = "/api/"


def _json(data: dict[str, Any], status: int) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: under /api/ a path no endpoint matches (`/complaints/abc/`) is a JSON 404 too."""
    if request.path_info.startswith(API_PREFIX):
        return _json(body("not_found", NOT_FOUND), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an API client gets the error shape it parses everywhere else."""
    if request.path_info.startswith(API_PREFIX):
        return _json(
            body("server_error", "服务器内部错误，请稍后重试或联系系统管理员。"), status=500
        )
    return defaults.server_error(request)


# The error responses every write operation documents: 415 too, since a body in a content type the
# operation does not take is refused before anything is read.
ERROR_RESPONSES: dict[int, Any] = {
    code: ErrorSerializer for code in (400, 401, 403, 404, 409, 415, 422)
}
