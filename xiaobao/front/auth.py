"""Login throttling (django-axes) and the login audit trail.

Every HTTP login passes its request, so django-axes counts it. Code that authenticates without a
request (the test client's `login()`, a shell) has no address to count and goes straight to the
model backend.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from xiaobao.audit.services import audit_login


class LockoutBackend(AxesStandaloneBackend):
    def authenticate(self, request: Any, username: Any = None, password: Any = None, **kw: Any):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kw)


def _address(request: Any) -> str:
    if request is None:
        return ""
    return getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR", "")


@receiver(user_logged_in, dispatch_uid="xiaobao.login.success")
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_login(outcome="success", username=user.get_username(), address=_address(request))


@receiver(user_login_failed, dispatch_uid="xiaobao.login.failure")
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any) -> None:
    audit_login(
        outcome="failure", username=str(credentials.get("username", "")), address=_address(request)
    )


@receiver(user_locked_out, dispatch_uid="xiaobao.login.lockout")
def _locked_out(sender: Any, request: Any, username: Any, ip_address: Any, **kw: Any) -> None:
    audit_login(outcome="lockout", username=str(username or ""), address=str(ip_address or ""))
