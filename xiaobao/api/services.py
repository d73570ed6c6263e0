"""Writes of the integration layer: API tokens, idempotent creates and webhook subscriptions."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from xiaobao.api.models import ApiToken, IdempotencyKey, WebhookSubscription
from xiaobao.api.targets import check_target
from xiaobao.audit.services import audit_record
from xiaobao.lib.errors import DomainError, PermissionDeniedError
from xiaobao.organisation.models import Unit, User
from xiaobao.organisation.scope import unit_in_scope

TOKEN_MARK = "xb"
# Writing last_used_at on every call would turn each read into a write; a minute is precise enough.
TOUCH_EVERY = timedelta(minutes=1)
IDEMPOTENCY_KEY_MAX = 255


def _hash(raw: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(raw.encode()).hexdigest()


def _may_manage(actor: Any, perm: str, unit: Unit) -> None:
    """`actor` None is the command line (whoever can run manage.py already owns the server)."""
    if actor is None:
        return
    if not (actor.is_active and actor.has_perm(perm)):
        raise PermissionDeniedError("您没有管理接口令牌或事件推送的权限。")
    if not unit_in_scope(actor, unit):
        raise PermissionDeniedError("该员工或机构不在您的管辖范围内。", code="out_of_scope")


# --- tokens --------------------------------------------------------------------------------------


@transaction.atomic
def api_token_create(
    *, actor: User | None, owner: User, name: str, days: int | None = None
) -> tuple[ApiToken, str]:
    """Issue a token for `owner` valid for `days` (default XIAOBAO_API_TOKEN_DAYS); the plain
    token is returned once and never stored."""
    _may_manage(actor, "api.add_apitoken", owner.unit)
    days = settings.XIAOBAO_API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= settings.XIAOBAO_API_TOKEN_MAX_DAYS:
        raise DomainError(
            "令牌有效期须为 1 至 %(max_days)s 天。",
            params={"max_days": settings.XIAOBAO_API_TOKEN_MAX_DAYS},
            code="invalid",
            field="days",
        )
    if not owner.is_active:
        raise DomainError("该员工账号已停用，不能签发令牌。", field="owner")
    name = name.strip()
    if not name:
        raise DomainError("请填写令牌用途。", code="required", field="name")
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_MARK}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        owner=owner,
        name=name[:80],
        prefix=prefix,
        token_hash=_hash(raw),
        created_by=actor,
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit_record(
        actor=actor,
        action="api_token.create",
        obj=token,
        unit=owner.unit,
        summary=f"{owner.username} {prefix} {name}",
        data={"expires_at": token.expires_at.isoformat()},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    token = ApiToken.objects.select_for_update().select_related("owner__unit").get(pk=token.pk)
    if actor is not None and actor.pk != token.owner_id:
        _may_manage(actor, "api.change_apitoken", token.owner.unit)
    if token.revoked_at is not None:
        raise DomainError("该令牌已吊销。", code="already_revoked")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="api_token.revoke",
        obj=token,
        unit=token.owner.unit,
        summary=f"{token.owner.username} {token.prefix}",
    )
    return token


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The live token for `raw`, or None (unknown, revoked, expired, or its owner left)."""
    parts = raw.split("_")
    if len(parts) < 3 or parts[0] != TOKEN_MARK:
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("owner__unit")
        .filter(token_hash=_hash(raw), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None or not token.owner.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


# --- idempotency ---------------------------------------------------------------------------------


def request_fingerprint(*, method: str, endpoint: str, body: Any) -> str:
    """The same JSON (whatever its key order or spacing) gives the same fingerprint."""
    canonical = json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(f"{method.upper()} {endpoint}\n{canonical}".encode()).hexdigest()


@dataclass
class StoredResponse:
    status: int
    body: Any
    replayed: bool


class IdempotencyConflict(DomainError):
    code = "idempotency_key_reused"


def idempotent(
    *,
    owner: User,
    key: str,
    endpoint: str,
    fingerprint: str,
    create: Callable[[], tuple[int, Any]],
) -> StoredResponse:
    """Run `create` once per (owner, key); later calls get the first response back.

    The key row is inserted first, in the same transaction as the case: a concurrent retry
    blocks on the unique constraint until the first commits, then reads its response. A failed
    create rolls the key back too, so the caller may fix the request and retry with the key.
    """
    key = key.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX:
        raise DomainError(
            "Idempotency-Key 须为1至%(max_length)s个字符。",
            params={"max_length": IDEMPOTENCY_KEY_MAX},
            code="invalid_idempotency_key",
            field="Idempotency-Key",
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    owner=owner,
                    key=key,
                    endpoint=endpoint,
                    request_hash=fingerprint,
                    response_status=0,
                    response_body={},
                )
        except IntegrityError:
            existing = IdempotencyKey.objects.get(owner=owner, key=key)
            if existing.request_hash != fingerprint or existing.endpoint != endpoint:
                raise IdempotencyConflict(
                    "该 Idempotency-Key 已用于内容不同的请求；新的请求请使用新的键。",
                    field="Idempotency-Key",
                ) from None
            return StoredResponse(existing.response_status, existing.response_body, True)
        status, body = create()
        record.response_status = status
        record.response_body = body
        record.save(update_fields=["response_status", "response_body"])
        return StoredResponse(status, body, False)


def idempotency_keys_purge(*, older_than: timedelta = timedelta(days=7)) -> int:
    """Forget keys old enough that no client still retries with them."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


# --- webhook subscriptions -----------------------------------------------------------------------


@transaction.atomic
def webhook_subscription_create(
    *,
    actor: User | None,
    name: str,
    url: str,
    unit: Unit,
    events: list[str] | None = None,
    secret: str = "",
) -> tuple[WebhookSubscription, str]:
    """Subscribe `url` to events in `unit`'s subtree; returns the signing secret (shown once)."""
    _may_manage(actor, "api.add_webhooksubscription", unit)
    check_target(url)
    if not name.strip():
        raise DomainError("请填写订阅名称。", code="required", field="name")
    secret = secret or secrets.token_urlsafe(32)
    if len(secret) < 16:
        raise DomainError("签名密钥至少16个字符。", field="secret")
    sub = WebhookSubscription.objects.create(
        name=name.strip()[:80],
        url=url,
        secret=secret,
        unit=unit,
        events=sorted(set(events or [])),
        created_by=actor,
    )
    audit_record(
        actor=actor, action="webhook.subscribe", obj=sub, unit=unit, summary=f"{sub.name} {url}"
    )
    return sub, secret


WEBHOOK_EDITABLE = ("name", "url", "unit", "events", "is_active", "secret")


@transaction.atomic
def webhook_subscription_update(
    *, actor: User | None, subscription: WebhookSubscription, **changes: Any
) -> WebhookSubscription:
    """Edit a subscription under the same rules as creating one (scope, target, secret)."""
    unknown = set(changes) - set(WEBHOOK_EDITABLE)
    if unknown:
        raise DomainError(f"unknown subscription fields: {sorted(unknown)}")
    sub = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    _may_manage(actor, "api.change_webhooksubscription", sub.unit)
    if "unit" in changes:
        _may_manage(actor, "api.change_webhooksubscription", changes["unit"])
    if "url" in changes:
        check_target(changes["url"])
    if "secret" in changes and len(changes["secret"]) < 16:
        raise DomainError("签名密钥至少16个字符。", field="secret")
    if "name" in changes and not str(changes["name"]).strip():
        raise DomainError("请填写订阅名称。", code="required", field="name")
    before = {f: str(getattr(sub, f)) for f in changes if f != "secret"}
    for field, value in changes.items():
        setattr(sub, field, value)
    sub.save()
    audit_record(
        actor=actor,
        action="webhook.update",
        obj=sub,
        unit=sub.unit,
        summary=f"{sub.name} {sub.url}",
        data={f: [before[f], str(getattr(sub, f))] for f in before},
    )
    return sub
