"""The registration form's suggestions hide guesses below the confidence floor."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

TEXT = {"title": "信用卡年费被扣", "narrative": "客户称信用卡年费未告知即扣收，要求退还。"}


def _items(client):
    response = client.post(reverse("language:suggest"), TEXT)
    assert response.status_code == 200
    return json.loads(response.content)["category"]


def test_low_confidence_guesses_are_not_shown(client, people, trained_classifier):
    client.force_login(people.handler_a)
    with override_settings(XIAOBAO_SUGGESTION_MIN_CONFIDENCE=0):
        everything = _items(client)
    assert len(everything) == 3 and min(i["confidence"] for i in everything) < 0.15
    shown = _items(client)  # the default floor
    assert shown and all(i["confidence"] >= 0.15 for i in shown)
    assert len(shown) < len(everything)
    with override_settings(XIAOBAO_SUGGESTION_MIN_CONFIDENCE=1.01):
        assert _items(client) == []
