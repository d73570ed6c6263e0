"""Where webhooks may be sent: http(s) on public addresses, unless an administrator allow-lists a host.

A subscription pointing at 169.254.169.254, 10.x, 192.168.x or localhost would make the job
worker post (signed) case events into the bank's own network. Targets are checked when a
subscription is created or edited and again at every delivery, after DNS resolution; the delivery
then connects to the very address it checked, so a name that re-resolves to an internal address
between the check and the connection (DNS rebinding) gains nothing.

`XIAOBAO_WEBHOOK_ALLOWED_HOSTS` lists host names or addresses (e.g. an internal receiver at
`10.8.0.5`) that skip the public-address rule; the scheme rule always holds.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from xiaobao.lib.errors import DomainError

SCHEMES = ("http", "https")
_DEFAULT_PORT = {"http": 80, "https": 443}


class TargetRefused(DomainError):
    code = "webhook_target_refused"


def _allow_listed(host: str) -> bool:
    allowed = {h.strip().lower().rstrip(".") for h in settings.XIAOBAO_WEBHOOK_ALLOWED_HOSTS}
    return host in allowed


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(ip.is_global and not ip.is_multicast)


def split_target(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL, or TargetRefused naming the field."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        raise TargetRefused("接收地址格式不正确。", field="url") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise TargetRefused("接收地址须以 http:// 或 https:// 开头。", field="url")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise TargetRefused("接收地址缺少主机名。", field="url")
    return scheme, host, port or _DEFAULT_PORT[scheme]


def _refuse_internal(address: str) -> None:
    raise TargetRefused(
        "接收地址指向内部或保留地址（%(address)s），不能推送；"
        "如确需推送到内网接收方，请系统管理员将该主机加入允许列表。",
        params={"address": address},
        field="url",
    )


def resolve(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, address to connect to): every address the name has must be public."""
    scheme, host, port = split_target(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise TargetRefused(
            "无法解析接收地址的主机名 %(host)s。",
            params={"host": host},
            field="url",
            code="unresolved",
        ) from None
    addresses = [str(info[4][0]) for info in infos]
    if not _allow_listed(host):
        for address in addresses:
            if not is_public(address):
                _refuse_internal(address)
    return scheme, host, port, addresses[0]


def check_target(url: str) -> None:
    """On create and edit: the scheme, and the address when the host is a literal or resolves.

    A name that does not resolve yet (a receiver still being set up) is accepted here; every
    delivery resolves and checks it again.
    """
    _scheme, host, _port = split_target(url)
    if _allow_listed(host):
        return
    if host == "localhost" or host.endswith(".localhost"):
        _refuse_internal(host)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        try:
            resolve(url)
        except TargetRefused as exc:
            if exc.code == "unresolved":
                return
            raise
        return
    if not is_public(host):
        _refuse_internal(host)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, address: str, **kwargs: Any) -> None:
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, address: str, **kwargs: Any) -> None:
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # Certificate and SNI are those of the subscribed name, not of the address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float, excerpt: int):
    """POST to a checked target without following redirects: (status, response excerpt)."""
    scheme, host, port, address = resolve(url)
    parts = urlsplit(url.strip())
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    cls = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = cls(host, port, address=address, timeout=timeout)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(excerpt).decode("utf-8", "replace")
    finally:
        connection.close()
