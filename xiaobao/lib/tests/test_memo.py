"""Per-process memory of reference data under version stamps (`lib.memo`)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from xiaobao.lib import memo
from xiaobao.lib.models import Stamp

pytestmark = pytest.mark.django_db


class Source:
    """Counts how often the 'rows' are read."""

    def __init__(self) -> None:
        self.reads = 0
        self.value = "first"

    def __call__(self) -> str:
        self.reads += 1
        return self.value


@pytest.fixture
def stamp() -> str:
    memo.bump("test")
    return "test"


def test_kept_across_requests_until_the_stamp_changes(stamp):
    source = Source()
    for _ in range(3):
        with memo.scope():
            assert memo.remembered("k", source, stamp=stamp) == "first"
    assert source.reads == 1
    source.value = "second"
    memo.bump(stamp)  # in another process, as far as this one can tell: only the row changed
    with memo.scope():
        assert memo.remembered("k", source, stamp=stamp) == "second"
    assert source.reads == 2


def test_a_request_reads_the_stamps_once(stamp):
    with memo.scope(), CaptureQueriesContext(connection) as queries:
        for key in ("a", "b", "c"):
            memo.remembered(key, Source(), stamp=stamp)
    assert sum("lib_stamp" in q["sql"] for q in queries.captured_queries) == 1


def test_a_writer_sees_its_own_change_at_once(stamp):
    source = Source()
    with memo.scope():
        assert memo.remembered("k", source, stamp=stamp) == "first"
        source.value = "second"
        memo.bump(stamp)
        assert memo.remembered("k", source, stamp=stamp) == "second"


def test_a_rolled_back_change_is_never_taken_for_the_current_one(stamp):
    source = Source()
    with memo.scope():
        memo.remembered("k", source, stamp=stamp)
    with pytest.raises(RuntimeError), transaction.atomic():
        source.value = "uncommitted"
        memo.bump(stamp)
        with memo.scope():
            assert memo.remembered("k", source, stamp=stamp) == "uncommitted"
        raise RuntimeError
    source.value = "first"
    with memo.scope():
        assert memo.remembered("k", source, stamp=stamp) == "first"


def test_a_stamp_without_a_row_keeps_nothing():
    Stamp.objects.filter(name="none").delete()
    source = Source()
    for _ in range(2):
        with memo.scope():
            memo.remembered("k-none", source, stamp="none")
    assert source.reads == 2


def test_a_long_operation_keeps_its_first_value_even_if_the_data_changes(stamp):
    source = Source()
    with memo.held():
        assert memo.remembered("k", source, stamp=stamp) == "first"
        source.value = "second"
        memo.bump(stamp)
        assert memo.remembered("k", source, stamp=stamp) == "first"
    assert memo.remembered("k", source, stamp=stamp) == "second"
