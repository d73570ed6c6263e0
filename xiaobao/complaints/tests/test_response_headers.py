"""Pages and API responses that show personal data are never cached; pages carry a CSP."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_case_page_registry_and_export_are_not_cached(client, register, people):
    complaint = register()
    client.force_login(people.handler_a)
    for url in (
        reverse("complaints:detail", args=[complaint.pk]),
        reverse("complaints:registry"),
        reverse("complaints:export"),
        reverse("front:home"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert _no_store(response), url


def test_api_reveal_response_is_not_cached(register, people):
    complaint = register()
    person = complaint.complainants.get()
    api = APIClient()
    api.force_authenticate(people.handler_a)
    response = api.post(
        f"/api/v1/complaints/{complaint.pk}/complainants/{person.pk}/reveal/",
        {"field": "phone", "reason": "回访核实联系方式"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert _no_store(response)


def test_portal_pages_are_not_cached(db):
    assert _no_store(Client().get("/portal/"))


def test_pages_carry_a_csp_whose_nonce_matches_the_inline_scripts(client, people):
    client.force_login(people.handler_a)
    response = client.get(reverse("complaints:register"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy
    [script_src] = [d for d in policy.split(";") if d.strip().startswith("script-src")]
    assert "frame-ancestors 'none'" in policy and "'unsafe-inline'" not in script_src
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    html = response.content.decode()
    inline = [
        attrs
        for attrs in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
        if "application/json" not in attrs  # data, never run
    ]
    assert len(inline) >= 2 and all(f'nonce="{nonce}"' in attrs for attrs in inline)
    assert "onchange=" not in html and "onclick=" not in html
