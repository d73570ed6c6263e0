"""Person lookup in the API: the number is posted for a token; list URLs carry only the token."""

from __future__ import annotations

import pytest

from .conftest import PHONE, body

pytestmark = pytest.mark.django_db

LIST = "/api/v1/complaints/"
LOOKUP = "/api/v1/complaints/person-lookup/"


def test_lookup_by_post_then_list_by_token(api_a, api_b, case_a):
    response = api_a.post(LOOKUP, {"person": PHONE}, format="json")
    assert response.status_code == 200
    token = body(response)["person_token"]
    assert PHONE not in token and body(response)["expires_in"] > 0
    listed = api_a.get(LIST, {"person_token": token})
    assert listed.status_code == 200
    assert [c["id"] for c in body(listed)["results"]] == [case_a.pk]
    # The token is its owner's only: another caller gets nothing, not everything.
    other = api_b.get(LIST, {"person_token": token})
    assert other.status_code == 200 and body(other)["results"] == []


def test_blank_lookup_is_a_400_naming_the_field(api_a):
    response = api_a.post(LOOKUP, {"person": "  "}, format="json")
    assert response.status_code in (400, 422)
    assert body(response)["field"] == "person"
