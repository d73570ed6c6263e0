"""The registry's taxonomy filter choices are cached per process: edits must show at once."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from xiaobao.complaints.choices import Axis
from xiaobao.complaints.models import TaxonomyTerm
from xiaobao.complaints.taxonomy import (
    taxonomy_term_create,
    taxonomy_term_retire,
    taxonomy_term_update,
)


def _options(page: str, name: str) -> dict[str, str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, f"no <select name={name}> on the page"
    return dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]*)</option>', select.group(1)))


def test_filter_choices_follow_taxonomy_edits_and_keep_retired_codes(client, people, register):
    case = register(cause="PRICING")
    client.force_login(people.officer_a)
    url = reverse("complaints:registry")
    first = _options(client.get(url).content.decode(), "cause")
    assert first["PRICING"] == TaxonomyTerm.objects.get(axis=Axis.CAUSE, code="PRICING").name

    term = TaxonomyTerm.objects.get(axis=Axis.CAUSE, code="PRICING")
    taxonomy_term_update(actor=people.hq_officer, term=term, name="收费定价（新）")
    assert _options(client.get(url).content.decode(), "cause")["PRICING"] == "收费定价（新）"

    taxonomy_term_create(actor=people.hq_officer, axis=Axis.CAUSE, code="ZNEW", name="新增原因")
    assert _options(client.get(url).content.decode(), "cause")["ZNEW"] == "新增原因"

    # A retired code stays filterable: old cases carry it.
    taxonomy_term_retire(actor=people.hq_officer, term=term)
    page = client.get(url, {"cause": "PRICING"})
    assert "PRICING" in _options(page.content.decode(), "cause")
    assert [c.pk for c in page.context["rows"]] == [case.pk]


def test_selected_values_render_selected_and_the_page_runs_few_queries(client, people, register):
    register(cause="PRICING")
    client.force_login(people.officer_a)
    url = reverse("complaints:registry")
    client.get(url)  # fill the per-process caches
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(url, {"cause": "PRICING"}).content.decode()
    assert re.search(r'<option value="PRICING"[^>]*selected', page)
    assert not re.search(r'<option value="SERVICE"[^>]*selected', page)
    taxonomy_reads = [q for q in ctx.captured_queries if "complaints_taxonomyterm" in q["sql"]]
    # The stamp, the validation of the one filter used, and the category join of the page and
    # of its total: never one query per axis or per sub-category label.
    assert len(taxonomy_reads) <= 4, [q["sql"][:120] for q in taxonomy_reads]
    unselected = client.get(url).content.decode()
    assert not re.search(r'<option value="PRICING"[^>]*selected', unselected)


def test_cached_inputs_show_each_request_its_own_value_and_errors(client, people):
    client.force_login(people.officer_a)
    url = reverse("complaints:registry")
    first = client.get(url, {"q": "年费", "received_from": "2026-01-02"}).content.decode()
    assert re.search(r'<input type="text" name="q" value="年费"', first)
    assert 'name="received_from" value="2026-01-02"' in first
    again = client.get(url, {"q": '"><b>', "received_from": "not a date"}).content.decode()
    assert 'value="&quot;&gt;&lt;b&gt;"' in again and "<b>" not in again
    assert 'name="received_from" value="not a date"' in again
    assert re.search(r'class="field has-error"><label for="id_received_from"', again)
    assert '<ul class="errorlist"' in again
    blank = client.get(url).content.decode()
    assert "年费" not in blank and "errorlist" not in blank
