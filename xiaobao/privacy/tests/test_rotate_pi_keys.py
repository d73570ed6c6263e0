from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from xiaobao.complaints.services import ComplainantData, complaint_register
from xiaobao.complaints.tests.conftest import VALID_ID, at
from xiaobao.privacy.crypto import generate_key

pytestmark = pytest.mark.django_db

OLD = f"old:{generate_key()}"
NEW = f"new:{generate_key()}"
HMAC = generate_key()


def _raw_phone() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM complaints_complainant")
        return cursor.fetchone()[0]


def test_rotation_rewrites_old_tokens_and_keeps_every_value(org, people, capsys):
    with override_settings(XIAOBAO_PI_KEYS=OLD, XIAOBAO_PI_HMAC_KEY=HMAC):
        complaint = complaint_register(
            actor=people.handler_a,
            unit=org.sub_a,
            received_at=at(2026, 1, 5, 10),
            intake_channel="HOTLINE",
            title="测试",
            narrative="测试",
            complainants=[ComplainantData(name="张伟", phone="13800138000", id_number=VALID_ID)],
        )
        assert _raw_phone().startswith("v1:old:")
    with override_settings(XIAOBAO_PI_KEYS=f"{NEW},{OLD}", XIAOBAO_PI_HMAC_KEY=HMAC):
        # Both keys readable: the product keeps working during the rotation.
        assert complaint.complainants.get().phone == "13800138000"
        call_command("rotate_pi_keys", "--dry-run")
        assert "complaints.Complainant: 需要重新加密 1 行" in capsys.readouterr().out
        call_command("rotate_pi_keys")
        assert _raw_phone().startswith("v1:new:")
        call_command("rotate_pi_keys")
        assert "complaints.Complainant: 已重新加密 0 行" in capsys.readouterr().out
    with override_settings(XIAOBAO_PI_KEYS=NEW, XIAOBAO_PI_HMAC_KEY=HMAC):
        person = complaint.complainants.get()
        assert (person.phone, person.id_number) == ("13800138000", VALID_ID)
