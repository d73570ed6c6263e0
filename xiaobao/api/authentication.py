"""Token authentication: `Authorization: Bearer xb_…` makes the request act as the token's owner."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from xiaobao.api.services import api_token_authenticate

KEYWORDS = ("bearer", "token")


class TokenAuthentication(BaseAuthentication):
    """The owner's own permissions and branch scope apply: a token is never more than its owner."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower().decode("latin-1") not in KEYWORDS:
            return None  # not ours: let session authentication (the browsable API) try
        if len(parts) != 2:
            raise AuthenticationFailed("令牌格式不正确，应为：Authorization: Bearer <令牌>。")
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("令牌格式不正确。") from None
        token = api_token_authenticate(raw)
        if token is None:
            raise AuthenticationFailed("令牌无效、已过期、已吊销，或所属账号已停用。")
        return token.owner, token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) when credentials are missing or wrong.
        return 'Bearer realm="xiaobao"'


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "xiaobao.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "接口令牌：Authorization: Bearer xb_xxxxxxxx_…（以令牌所属员工的权限和机构范围执行）",
        }
