"""EncryptedTextField on throw-away models (there is no privacy model yet)."""

from __future__ import annotations

import pytest
from django.core.exceptions import FieldError
from django.db import connection, models
from django.test import override_settings
from django.test.utils import isolate_apps

from xiaobao.privacy.crypto import DecryptionError, generate_key, looks_encrypted
from xiaobao.privacy.fields import EncryptedTextField

RING = f"k1:{generate_key()}"


@pytest.fixture(autouse=True)
def _ring():
    with override_settings(XIAOBAO_PI_KEYS=RING, XIAOBAO_PI_HMAC_KEY=generate_key()):
        yield


@pytest.fixture
def person_model():
    with isolate_apps("xiaobao.privacy"):

        class Person(models.Model):
            phone = EncryptedTextField(kind="phone", blank=True, null=True)
            address = EncryptedTextField(kind="address", blank=True, default="")

            class Meta:
                app_label = "privacy"
                db_table = "privacy_test_person"

            def __str__(self) -> str:
                return f"Person {self.pk}"

        yield Person


def _field(kind: str = "phone", **kwargs) -> EncryptedTextField:
    field = EncryptedTextField(kind=kind, **kwargs)
    field.set_attributes_from_name(kind)
    return field


# --- values ----------------------------------------------------------------------------------


def test_prep_and_from_db_round_trip():
    field = _field("address")
    stored = field.get_prep_value("北京市朝阳区建国路88号 张三")
    assert looks_encrypted(stored)
    assert "建国路" not in stored
    assert stored.startswith("v1:k1:")
    assert field.from_db_value(stored, None, connection) == "北京市朝阳区建国路88号 张三"


def test_db_prep_save_encrypts():
    field = _field("phone")
    stored = field.get_db_prep_save("13800138000", connection)
    assert looks_encrypted(stored)
    assert field.from_db_value(stored, None, connection) == "13800138000"


def test_each_save_gives_fresh_ciphertext():
    field = _field("phone")
    assert field.get_prep_value("13800138000") != field.get_prep_value("13800138000")


@pytest.mark.parametrize("value", [None, ""])
def test_none_and_empty_are_stored_as_is(value):
    field = _field("phone", null=True, blank=True)
    assert field.get_prep_value(value) == value
    assert field.from_db_value(value, None, connection) == value


def test_non_string_is_stored_as_text():
    field = _field("phone")
    assert field.from_db_value(field.get_prep_value(13800138000), None, connection) == "13800138000"


def test_to_python_leaves_plaintext_alone():
    assert _field("phone").to_python("13800138000") == "13800138000"


def test_token_of_another_kind_does_not_decrypt():
    stored = _field("phone").get_prep_value("13800138000")
    with pytest.raises(DecryptionError):
        _field("card").from_db_value(stored, None, connection)


def test_kind_is_required():
    with pytest.raises(TypeError):
        EncryptedTextField()  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="non-empty kind"):
        EncryptedTextField(kind="")


# --- lookups ---------------------------------------------------------------------------------


def test_exact_with_a_value_raises(person_model):
    with pytest.raises(FieldError, match="blind index"):
        person_model.objects.filter(phone="13800138000")
    with pytest.raises(FieldError, match="blind index"):
        person_model.objects.exclude(phone__exact="13800138000")


@pytest.mark.parametrize(
    "lookup", ["phone__iexact", "phone__in", "phone__contains", "phone__startswith", "phone__gt"]
)
def test_other_lookups_are_unsupported(person_model, lookup):
    value = ["13800138000"] if lookup.endswith("__in") else "13800138000"
    with pytest.raises(FieldError):
        person_model.objects.filter(**{lookup: value})


def test_transforms_are_unsupported(person_model):
    with pytest.raises(FieldError):
        person_model.objects.filter(phone__lower="x")


def test_isnull_and_empty_allowed(person_model):
    queries = [
        person_model.objects.filter(phone__isnull=True),
        person_model.objects.filter(phone__isnull=False),
        person_model.objects.filter(phone=""),
        person_model.objects.exclude(address=""),
        person_model.objects.filter(phone=None),  # Django turns it into isnull
    ]
    for query in queries:
        assert "privacy_test_person" in str(query.query)
    assert "IS NULL" in str(queries[-1].query)


# --- checks and migrations -------------------------------------------------------------------


def test_system_check_passes_for_plain_field(person_model):
    assert person_model._meta.get_field("phone").check() == []


@pytest.mark.parametrize("option", ["db_index", "unique"])
def test_system_check_rejects_index(option):
    with isolate_apps("xiaobao.privacy"):

        class Indexed(models.Model):
            phone = EncryptedTextField(kind="phone", **{option: True})

            class Meta:
                app_label = "privacy"

            def __str__(self) -> str:
                return "indexed"

        errors = Indexed._meta.get_field("phone").check()
    assert [e.id for e in errors] == ["privacy.E001"]
    assert "blind-index" in errors[0].hint


def test_deconstruct_keeps_kind():
    field = _field("id_number", null=True, blank=True)
    name, path, args, kwargs = field.deconstruct()
    assert name == "id_number"
    assert path == "xiaobao.privacy.fields.EncryptedTextField"
    assert kwargs == {"kind": "id_number", "null": True, "blank": True}
    clone = EncryptedTextField(*args, **kwargs)
    assert clone.kind == "id_number"
    assert field.clone().kind == "id_number"


# --- database round trip ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_database_round_trip(person_model):
    with connection.schema_editor() as editor:
        editor.create_model(person_model)
    try:
        person = person_model.objects.create(
            phone="138 0013 8000", address="上海市浦东新区世纪大道1号"
        )
        empty = person_model.objects.create(phone=None, address="")
        with connection.cursor() as cursor:
            cursor.execute("SELECT phone, address FROM privacy_test_person ORDER BY id")
            rows = cursor.fetchall()
        assert looks_encrypted(rows[0][0])
        assert looks_encrypted(rows[0][1])
        assert "世纪大道" not in rows[0][1]
        assert rows[1] == (None, "")

        loaded = person_model.objects.get(pk=person.pk)
        assert loaded.phone == "138 0013 8000"
        assert loaded.address == "上海市浦东新区世纪大道1号"
        assert list(person_model.objects.filter(phone__isnull=True)) == [empty]
        assert list(person_model.objects.filter(address="")) == [empty]
        assert list(person_model.objects.values_list("phone", flat=True).order_by("pk")) == [
            "138 0013 8000",
            None,
        ]

        loaded.phone = "13900139000"
        loaded.save()
        assert person_model.objects.get(pk=person.pk).phone == "13900139000"
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(person_model)
