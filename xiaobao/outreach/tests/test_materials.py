from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from conftest import PASSWORD
from xiaobao.audit.models import AuditEvent
from xiaobao.lib.errors import DomainError
from xiaobao.outreach import services
from xiaobao.outreach.models import Material
from xiaobao.outreach.tests.conftest import yesterday


def test_hq_adds_a_material_on_the_library_page_outlets_cannot(client, people):
    url = reverse("outreach:materials")
    form = {"code": "ZY-09", "title": "养老诈骗防范折页", "version": "2026", "format": "折页"}
    assert client.login(username="outlet_handler_a", password=PASSWORD)
    assert client.get(url).status_code == 200
    assert client.post(url, form).status_code == 403
    client.logout()
    assert client.login(username="hq_officer", password=PASSWORD)
    assert client.post(url, form).status_code == 302
    material = Material.objects.get()
    assert AuditEvent.objects.filter(action="material_create", object_id=str(material.pk)).exists()
    again = client.post(url, form)
    assert again.status_code == 400 and "已在资料库中" in again.content.decode()
    assert Material.objects.count() == 1


def test_a_material_outside_its_validity_cannot_be_handed_out(people, make_activity):
    old = services.material_create(
        actor=people.hq_officer,
        code="ZY-01",
        title="旧版折页",
        valid_to=yesterday().date() - timedelta(days=1),
    )
    with pytest.raises(DomainError) as exc:
        make_activity(materials={old: 50})
    assert exc.value.field == "materials" and exc.value.code == "material_expired"


def _photo_taken_on(day: str) -> SimpleUploadedFile:
    image = Image.new("RGB", (64, 64), (200, 30, 30))
    exif = image.getexif()
    exif[0x0132] = f"{day} 10:00:00"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return SimpleUploadedFile("exif.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_a_photo_taken_on_another_day_is_shown_as_an_advisory(client, people, make_activity):
    activity = make_activity(n_photos=1)
    services.activity_add_evidence(
        actor=people.outlet_handler_a, activity=activity, upload=_photo_taken_on("2020:01:01")
    )
    assert client.login(username="officer_a", password=PASSWORD)
    page = client.get(reverse("outreach:activity", args=[activity.pk])).content.decode()
    assert page.count('class="badge warn exif-date"') == 1
