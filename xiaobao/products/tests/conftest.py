"""Fixtures of the products tests: a product manager, a reviewer, the 分管行领导, and documents."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import create_user
from xiaobao.organisation.choices import Role
from xiaobao.products import services
from xiaobao.products.choices import ObjectType, ProductStatus
from xiaobao.products.models import Product, ReviewRoute


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@dataclass
class Staff:
    manager: Any
    reviewer: Any
    leader: Any
    branch_manager: Any
    wealth_a: Any


def build_staff(org: Any) -> Staff:
    return Staff(
        manager=create_user("pm", org.hq, Role.BUSINESS_DEPT),
        reviewer=create_user("reviewer", org.hq, Role.PRODUCT_REVIEWER),
        leader=create_user("leader", org.hq, Role.HQ_SENIOR_MANAGER),
        branch_manager=create_user("pm_b", org.branch_b, Role.BUSINESS_DEPT),
        wealth_a=create_user("wealth_a", org.outlet_a, Role.HANDLER),
    )


@pytest.fixture
def staff(org) -> Staff:
    return build_staff(org)


def pdf(text: str = "产品说明书 v1", name: str = "说明书.pdf") -> SimpleUploadedFile:
    """A small real PDF whose bytes (and so its hash) depend on `text`."""
    body = (
        "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        "2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        f"% {text}\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    ).encode()
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def sha(upload: SimpleUploadedFile) -> str:
    upload.seek(0)
    digest = hashlib.sha256(upload.read()).hexdigest()
    upload.seek(0)
    return digest


def make_product(actor: Any, code: str = "WM2026001", **fields: Any) -> Product:
    data = {
        "code": code,
        "name": "稳享90天理财",
        "kind": "wealth",
        "issuer": "某理财子公司",
        "issuer_grade": "R2",
        "seller_grade": "R2",
        "target_class": "C2",
        "status": ProductStatus.ON_SALE,
    } | fields
    return services.product_register(actor=actor, data=services.ProductData(**data))


@pytest.fixture
def route(staff) -> None:
    for t in ObjectType.values:
        ReviewRoute.objects.create(object_type=t, reviewer=staff.reviewer)
