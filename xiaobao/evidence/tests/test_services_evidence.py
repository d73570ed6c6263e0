from __future__ import annotations

import io
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from xiaobao.audit.selectors import timeline
from xiaobao.evidence.selectors import evidence_for, reused_elsewhere
from xiaobao.evidence.services import evidence_add
from xiaobao.lib.errors import DomainError, PermissionDeniedError


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def photo(name: str, seed: int = 1, quality: int = 90) -> SimpleUploadedFile:
    """A real JPEG of random grey blocks: another seed is another picture, another quality a
    near copy of the same picture."""
    rng = random.Random(seed)
    image = Image.new("RGB", (128, 128))
    for bx in range(0, 128, 16):
        for by in range(0, 128, 16):
            shade = rng.randrange(256)
            image.paste((shade, shade, shade), (bx, by, bx + 16, by + 16))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def test_a_photo_is_kept_with_its_hashes_and_an_event_on_the_record(org, people):
    # Any model instance can carry evidence; a unit stands in for a programme record here.
    target = org.outlet_a
    kept = evidence_add(
        actor=people.officer_a, target=target, unit=org.outlet_a, upload=photo("a.jpg")
    )
    assert len(kept.sha256) == 64 and len(kept.phash) == 16
    assert list(evidence_for(target)) == [kept]
    [event] = timeline(target)
    assert event.action == "evidence_add" and event.actor == people.officer_a
    assert event.data["evidence"] == kept.pk


def test_the_same_photo_for_another_record_is_flagged_but_not_for_its_own(org, people):
    first = evidence_add(
        actor=people.officer_a, target=org.outlet_a, unit=org.outlet_a, upload=photo("1.jpg")
    )
    again = evidence_add(
        actor=people.officer_a, target=org.sub_a, unit=org.sub_a, upload=photo("2.jpg")
    )
    second_of_first = evidence_add(
        actor=people.officer_a,
        target=org.outlet_a,
        unit=org.outlet_a,
        upload=photo("3.jpg", seed=2),
    )
    flags = reused_elsewhere([again])
    assert [f.pk for f in flags[again.pk]] == [first.pk]
    assert second_of_first.pk not in reused_elsewhere([second_of_first])


def test_a_recompressed_copy_is_a_near_duplicate(org, people):
    original = evidence_add(
        actor=people.officer_a, target=org.outlet_a, unit=org.outlet_a, upload=photo("o.jpg")
    )
    copy = photo("copy.jpg", quality=30)
    recycled = evidence_add(actor=people.officer_a, target=org.sub_a, unit=org.sub_a, upload=copy)
    assert recycled.sha256 != original.sha256
    assert [f.pk for f in reused_elsewhere([recycled])[recycled.pk]] == [original.pk]


def test_a_renamed_file_and_an_out_of_scope_unit_are_refused_and_nothing_is_kept(org, people):
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not a jpeg", content_type="image/jpeg")
    with pytest.raises(DomainError) as refused:
        evidence_add(actor=people.officer_a, target=org.outlet_a, unit=org.outlet_a, upload=fake)
    assert refused.value.field == "file" and "不符" in refused.value.message
    with pytest.raises(PermissionDeniedError):
        evidence_add(
            actor=people.officer_b, target=org.outlet_a, unit=org.outlet_a, upload=photo("b.jpg")
        )
    assert not evidence_for(org.outlet_a).exists()
    assert not timeline(org.outlet_a).exists()


def test_download_is_scoped(client, org, people):
    kept = evidence_add(
        actor=people.officer_a, target=org.outlet_a, unit=org.outlet_a, upload=photo("d.jpg")
    )
    client.force_login(people.officer_b)
    assert client.get(f"/evidence/{kept.pk}/").status_code == 404
    client.force_login(people.handler_a)  # sub-branch A contains outlet A
    response = client.get(f"/evidence/{kept.pk}/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"
