"""Admin: issue and revoke API tokens, manage webhook subscriptions, read the delivery log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from xiaobao.api import services
from xiaobao.api.models import (
    ApiToken,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from xiaobao.api.targets import check_target
from xiaobao.jobs.services import enqueue
from xiaobao.lib.admin import ScopedAdminMixin
from xiaobao.lib.errors import DomainError
from xiaobao.organisation.scope import visible_to


class ApiTokenAddForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["owner", "name"]

    def clean_owner(self) -> Any:
        owner = self.cleaned_data["owner"]
        if owner is not None and not owner.is_active:
            raise forms.ValidationError("该员工账号已停用，不能签发令牌。")
        return owner


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "prefix",
        "name",
        "owner",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name", "owner__username")
    actions = ["revoke"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["owner", "name"]
        return [
            "prefix",
            "name",
            "owner",
            "created_by",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked_at",
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else self.get_fields(request, obj)

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            return
        try:
            token, raw = services.api_token_create(
                actor=request.user,  # type: ignore[arg-type]
                owner=form.cleaned_data["owner"],
                name=form.cleaned_data["name"],
            )
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc
        obj.pk = token.pk
        messages.warning(
            request, _("令牌只显示这一次，请立即复制并妥善保存：%(token)s") % {"token": raw}
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke, so that the audit trail keeps who had which token

    @admin.action(description=_("吊销所选令牌"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        done = 0
        for token in queryset.filter(revoked_at__isnull=True):
            services.api_token_revoke(actor=request.user, token=token)  # type: ignore[arg-type]
            done += 1
        messages.success(request, _("已吊销 %(n)s 个令牌。") % {"n": done})


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("接收地址"), max_length=500, assume_scheme="https")
    secret = forms.CharField(
        label=_("签名密钥"),
        required=False,
        help_text=_("留空则自动生成；保存后只显示一次。"),
        widget=forms.PasswordInput(render_value=False),
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "unit", "events", "is_active", "secret"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            check_target(url)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc
        return url


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("name", "url", "unit", "events", "is_active", "created_at")
    list_filter = ("is_active",)

    def save_model(
        self, request: HttpRequest, obj: WebhookSubscription, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        if change:
            changes = {f: data[f] for f in form.changed_data if f in services.WEBHOOK_EDITABLE}
            if not data.get("secret"):
                changes.pop("secret", None)
            try:
                services.webhook_subscription_update(
                    actor=request.user,  # type: ignore[arg-type]
                    subscription=WebhookSubscription.objects.get(pk=obj.pk),
                    **changes,
                )
            except DomainError as exc:
                raise forms.ValidationError(exc.message) from exc
            return
        try:
            sub, secret = services.webhook_subscription_create(
                actor=request.user,  # type: ignore[arg-type]
                name=data["name"],
                url=data["url"],
                unit=data["unit"],
                events=data["events"] or [],
                secret=data.get("secret") or "",
            )
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc
        obj.pk = sub.pk
        if not data.get("secret"):
            messages.warning(
                request,
                _("签名密钥只显示这一次，请交给接收方妥善保存：%(secret)s") % {"secret": secret},
            )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: the delivery log keeps pointing at it


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ("number", "attempted_at", "duration_ms", "response_status", "error", "succeeded")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ScopedSubscriptionFilter(admin.SimpleListFilter):
    """The subscription filter offers only subscriptions in the user's branch scope."""

    title = _("订阅")
    parameter_name = "subscription"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[Any, str]]:
        subs = visible_to(request.user, WebhookSubscription.objects.order_by("name"))
        return [(sub.pk, sub.name) for sub in subs]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        return queryset.filter(subscription_id=int(value)) if value.isdigit() else queryset.none()


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "subscription",
        "event",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", ScopedSubscriptionFilter)
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    inlines = [AttemptInline]
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("重新推送所选失败记录"), permissions=["change"])
    def retry(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        from xiaobao.api.webhooks import DELIVER_JOB

        count = 0
        for delivery in queryset.filter(status=DeliveryStatus.FAILED):
            # One more attempt (a failure keeps it failed); earlier attempts stay in the log.
            WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.FAILED).update(
                status=DeliveryStatus.RETRYING
            )
            enqueue(
                DELIVER_JOB,
                {"delivery": delivery.pk},
                unique_key=f"webhook:{delivery.pk}:{delivery.attempts + 1}",
                max_attempts=2,
            )
            count += 1
        messages.success(request, _("已重新排队 %(n)s 条推送。") % {"n": count})
