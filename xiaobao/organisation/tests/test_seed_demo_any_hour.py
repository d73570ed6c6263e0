"""The demo is built from the wall clock: it must build at any hour of any day.

The demo replays past events at fixed hours of their day ("answered at 15:00"). A replay on
today's date at an hour still to come is the future and refused, so every module must decide
"has this happened yet?" with the very moment it replays. CI once failed at 14:30 Beijing time
because one module asked about 10:00 and replayed at 15:00.
"""

from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from xiaobao.complaints.models import Complaint
from xiaobao.plans.models import Plan

TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 5, 0, 20, tzinfo=TZ),  # just after midnight: no hour of today has come
        datetime(2026, 12, 5, 12, 0, tzinfo=TZ),  # midday: some of today's hours have come
        datetime(2027, 1, 1, 0, 10, tzinfo=TZ),  # the first minutes of a new year
        datetime(2027, 1, 5, 8, 0, tzinfo=TZ),  # the first working days, before office hours
        datetime(2027, 1, 12, 9, 5, tzinfo=TZ),  # the year's first visits are being made
        datetime(2027, 2, 1, 9, 30, tzinfo=TZ),  # the day the plan demo moves to the new year
        datetime(2026, 6, 30, 23, 50, tzinfo=TZ),  # the last minutes of a half year
    ],
    ids=lambda m: m.strftime("%Y-%m-%dT%H:%M"),
)
def test_seed_demo_builds_at_any_hour(db, settings, moment):
    settings.XIAOBAO_DEMO_CASES = 60
    with time_machine.travel(moment, tick=True):
        call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    assert Complaint.objects.exists()
    assert Plan.objects.exists()


def test_seed_demo_builds_when_ci_once_failed(db, settings):
    """14:30 on 2026-12-05 with 160 cases: a rectification's progress fell on that day, asked
    about at 10:00 (come) and replayed at 15:00 (not yet)."""
    settings.XIAOBAO_DEMO_CASES = 160
    with time_machine.travel(datetime(2026, 12, 5, 14, 30, tzinfo=TZ), tick=True):
        call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    assert Plan.objects.exists()
