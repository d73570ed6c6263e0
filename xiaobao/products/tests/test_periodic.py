"""Overdue reviews are reminded once a day, through the scheduler's periodic job."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from xiaobao.products import services
from xiaobao.products.periodic import remind_overdue_reviews
from xiaobao.products.tests.conftest import pdf
from xiaobao.watch.models import Notification

pytestmark = pytest.mark.django_db


def test_overdue_reviews_are_reminded_once_a_day(staff, org, route):
    submitted = timezone.make_aware(datetime(2026, 6, 1, 9, 0))
    review = services.review_submit(
        actor=staff.manager,
        object_type="fee",
        title="手续费调整",
        unit=org.hq,
        documents=[pdf()],
        at=submitted,
    )
    on_time = services.review_submit(
        actor=staff.manager, object_type="fee", title="另一项", unit=org.hq, at=timezone.now()
    )
    later = timezone.make_aware(
        datetime.combine(review.due_on + timedelta(days=1), datetime.min.time())
    ) + timedelta(hours=10)
    assert remind_overdue_reviews(now=later) == 1
    assert remind_overdue_reviews(now=later + timedelta(hours=6)) == 0
    notices = Notification.objects.filter(kind="reminder", title__startswith="消保审查已超期")
    assert [n.target_id for n in notices] == [review.pk]
    assert notices.get().recipient == staff.reviewer
    assert on_time.pk not in [n.target_id for n in notices]
    services.review_conclude(actor=staff.reviewer, review=review, conclusion="passed")
    assert remind_overdue_reviews(now=later + timedelta(days=1)) == 0
