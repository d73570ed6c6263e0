"""The one mapping of domain errors to status codes (xiaobao.lib.web)."""

from __future__ import annotations

from django import forms

from xiaobao.lib.errors import DomainError, InvalidTransitionError, PermissionDeniedError
from xiaobao.lib.web import domain_status, form_error


def test_refusal_is_403_transition_409_invalid_400_on_pages_422_in_the_api():
    assert domain_status(PermissionDeniedError("不行")) == 403
    assert domain_status(InvalidTransitionError("状态不对")) == 409
    assert domain_status(DomainError("输入有误", field="x")) == 400
    assert domain_status(DomainError("输入有误"), invalid=422) == 422
    assert domain_status(PermissionDeniedError("不行"), invalid=422) == 403


class _Form(forms.Form):
    reason = forms.CharField(required=False)


def test_form_error_lands_on_the_named_field_or_the_form():
    form = _Form({"reason": ""})
    assert form.is_valid()
    form_error(form, DomainError("请说明原因。", field="items.0.reason"))
    form_error(form, DomainError("整体错误", field="elsewhere"))
    assert form.errors["reason"] == ["请说明原因。"]
    assert form.non_field_errors() == ["整体错误"]
