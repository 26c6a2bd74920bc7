"""Who calls: the Bearer key's client; what it may do: its scopes. What it may see: a selector's
(selectors.newborn_list_for_client)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from registration.models import ApiClient
from registration.services.api_clients import api_client_for_key


class BearerKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>`: request.user is the client's service account, request.auth the client.

    The only authentication of the API: no session, hence no CSRF (a browser's cookie opens nothing).
    """

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization 请求头格式应为：Bearer <密钥>。")
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("API 密钥无效或已撤销。") from None
        client = api_client_for_key(key)
        if client is None or not client.user.is_active:
            raise exceptions.AuthenticationFailed("API 密钥无效或已撤销。")
        if client.hospital is not None and not client.hospital.is_active:
            raise exceptions.AuthenticationFailed(f"医疗机构（{client.hospital.name}）已停用，密钥不能使用。")
        return client.user, client

    def authenticate_header(self, request):
        # Present, so that a missing or wrong key is a 401 (with this challenge), not a 403.
        return f'{self.keyword} realm="api"'


class BearerKeyScheme(OpenApiAuthenticationExtension):
    target_class = BearerKeyAuthentication
    name = "bearerKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "接口客户端的密钥（创建时只显示一次）。"}


def request_client(request) -> ApiClient:
    return request.auth


class ScopeRequired(permissions.BasePermission):
    """The view's `required_scope` among the client's scopes; 401 without a client, 403 without the scope."""

    def has_permission(self, request, view) -> bool:
        client = request.auth
        if not isinstance(client, ApiClient):
            raise exceptions.NotAuthenticated("请在 Authorization 请求头中提供 API 密钥：Bearer <密钥>。")
        scope = view.required_scope
        if scope not in client.scopes:
            raise exceptions.PermissionDenied(f"该接口客户端没有「{scope}」权限范围。")
        if view.client_kind == "hospital" and client.hospital is None:
            raise exceptions.PermissionDenied("该接口只供定点医疗机构的客户端使用。")
        if view.client_kind == "centre" and client.hospital is not None:
            raise exceptions.PermissionDenied("该接口只供医保中心的客户端使用。")
        return True
