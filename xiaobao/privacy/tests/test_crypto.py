"""AES-GCM tokens, the key ring from settings, rotation and blind indexes."""

from __future__ import annotations

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from xiaobao.privacy import crypto
from xiaobao.privacy.crypto import (
    DecryptionError,
    blind_index,
    decrypt,
    encrypt,
    generate_key,
    get_keyring,
    key_id_of,
    looks_encrypted,
    needs_rotation,
    normalise,
    reencrypt,
)


def _fixed_key(seed: int) -> str:
    # Fixed test keys: parametrize ids must be the same in every pytest-xdist worker.
    return base64.urlsafe_b64encode(bytes((seed * 37 + i) % 256 for i in range(32))).decode()


KEY_A = _fixed_key(1).rstrip("=")
KEY_B = _fixed_key(2).rstrip("=")
HMAC_1 = _fixed_key(3).rstrip("=")
HMAC_2 = _fixed_key(4).rstrip("=")
RING_A = f"a:{KEY_A}"
RING_B = f"b:{KEY_B}"
RING_BA = f"b:{KEY_B},a:{KEY_A}"
HYPOTHESIS = settings(deadline=None, max_examples=50)


@pytest.fixture(autouse=True)
def _ring_a():
    """Every test starts on a configured ring with key "a" active."""
    with override_settings(XIAOBAO_PI_KEYS=RING_A, XIAOBAO_PI_HMAC_KEY=HMAC_1):
        yield


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _flip(token: str, index: int) -> str:
    """The token with one byte of its nonce+ciphertext+tag flipped, re-encoded canonically."""
    version, kid, payload = token.split(":")
    blob = bytearray(_b64d(payload))
    blob[index % len(blob)] ^= 0x01
    return f"{version}:{kid}:{_b64e(bytes(blob))}"


# --- round trip ------------------------------------------------------------------------------


def test_round_trip_chinese_text():
    plain = "张三，住北京市朝阳区建国路88号，电话13800138000 ☎ 𠀀"
    token = encrypt(plain, field="address")
    assert token.startswith("v1:a:")
    assert plain not in token
    assert decrypt(token, field="address") == plain


def test_empty_string_round_trips():
    assert decrypt(encrypt("", field="name"), field="name") == ""


@HYPOTHESIS
@given(st.text(max_size=200))
def test_round_trip_any_text(plain):
    assert decrypt(encrypt(plain, field="note"), field="note") == plain


def test_ciphertext_is_randomised():
    first, second = encrypt("13800138000", field="phone"), encrypt("13800138000", field="phone")
    assert first != second
    assert decrypt(first, field="phone") == decrypt(second, field="phone") == "13800138000"


def test_encrypt_rejects_non_text_and_empty_field():
    with pytest.raises(TypeError):
        encrypt(b"bytes", field="phone")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        encrypt("x", field="")
    with pytest.raises(ValueError):
        decrypt(encrypt("x", field="phone"), field="")


# --- tampering and misuse --------------------------------------------------------------------


@HYPOTHESIS
@given(st.integers(min_value=0, max_value=10_000))
def test_any_flipped_byte_is_detected(index):
    token = encrypt("110105194912310029", field="id_number")
    with pytest.raises(DecryptionError):
        decrypt(_flip(token, index), field="id_number")


def test_flipped_ciphertext_byte_is_detected():
    token = encrypt("身份证号", field="id_number")
    with pytest.raises(DecryptionError, match="failed authentication"):
        decrypt(_flip(token, 12), field="id_number")  # first byte after the nonce


def test_truncated_or_extended_token_is_rejected():
    token = encrypt("13800138000", field="phone")
    for bad in (token[:-4], token + "AAAA", token[:10], "v1:a:", "v1:a:" + "A" * 20):
        with pytest.raises(DecryptionError):
            decrypt(bad, field="phone")


def test_non_canonical_base64_is_rejected():
    # Payload of 12 + 1 + 16 = 29 bytes: its last base64 character carries 4 unused bits.
    token = encrypt("x", field="phone")
    version, kid, payload = token.split(":")
    assert len(_b64d(payload)) % 3 != 0
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(payload[-1])
    sibling = alphabet[last ^ 0x01]  # differs only in an unused bit
    altered = f"{version}:{kid}:{payload[:-1]}{sibling}"
    assert _b64d(altered.split(":")[2]) == _b64d(payload)  # the lenient decoder agrees
    with pytest.raises(DecryptionError, match="malformed"):
        decrypt(altered, field="phone")


def test_wrong_field_kind_fails():
    token = encrypt("13800138000", field="phone")
    with pytest.raises(DecryptionError, match="failed authentication"):
        decrypt(token, field="card")


def test_header_is_authenticated():
    """Relabelling a token with another configured key id does not decrypt."""
    token = encrypt("13800138000", field="phone")
    with override_settings(XIAOBAO_PI_KEYS=f"a:{KEY_A},z:{KEY_A}"):
        relabelled = "v1:z:" + token.split(":", 2)[2]
        with pytest.raises(DecryptionError):
            decrypt(relabelled, field="phone")


@pytest.mark.parametrize(
    "token",
    ["", "plain text", "v2:a:AAAA", "v1::AAAA", "v1:a:", "v1:a:not base64!", "v1:a b:AAAA", None],
)
def test_malformed_tokens(token):
    with pytest.raises(DecryptionError):
        decrypt(token, field="phone")
    assert not looks_encrypted(token)


def test_looks_encrypted():
    assert looks_encrypted(encrypt("x", field="phone"))
    assert not looks_encrypted("13800138000")
    assert not looks_encrypted(12345)


# --- key ring and rotation -------------------------------------------------------------------


def test_rotation():
    token_a = encrypt("欧阳修 13800138000", field="name")
    assert not needs_rotation(token_a)
    assert reencrypt(token_a, field="name") == token_a  # current token returned as is

    with override_settings(XIAOBAO_PI_KEYS=RING_BA):
        assert get_keyring().active_kid == "b"
        assert decrypt(token_a, field="name") == "欧阳修 13800138000"
        assert needs_rotation(token_a)
        token_b = reencrypt(token_a, field="name")
        assert key_id_of(token_b) == "b"
        assert token_b.startswith("v1:b:")
        assert not needs_rotation(token_b)
        assert decrypt(token_b, field="name") == "欧阳修 13800138000"
        assert encrypt("new", field="name").startswith("v1:b:")

    with override_settings(XIAOBAO_PI_KEYS=RING_B):  # "a" retired
        assert decrypt(token_b, field="name") == "欧阳修 13800138000"
        with pytest.raises(DecryptionError, match="unknown key id 'a'"):
            decrypt(token_a, field="name")


def test_reencrypt_verifies_the_token():
    token = encrypt("x", field="phone")
    with (
        override_settings(XIAOBAO_PI_KEYS=RING_BA),
        pytest.raises(DecryptionError),
    ):
        reencrypt(token, field="card")


def test_unknown_kid_fails_clearly():
    token = encrypt("13800138000", field="phone")
    with override_settings(XIAOBAO_PI_KEYS=RING_B):
        with pytest.raises(DecryptionError, match="unknown key id 'a'"):
            decrypt(token, field="phone")
        with pytest.raises(DecryptionError, match="unknown key id 'a'"):
            reencrypt(token, field="phone")
        assert needs_rotation(token)


def test_same_kid_with_another_key_fails_authentication():
    token = encrypt("13800138000", field="phone")
    with override_settings(XIAOBAO_PI_KEYS=f"a:{KEY_B}"), pytest.raises(DecryptionError):
        decrypt(token, field="phone")


def test_keyring_cache_follows_settings():
    assert get_keyring().kids == ("a",)
    with override_settings(XIAOBAO_PI_KEYS=RING_BA):
        assert get_keyring().kids == ("b", "a")
    assert get_keyring().kids == ("a",)


def test_keys_as_list_setting():
    with override_settings(XIAOBAO_PI_KEYS=[RING_B, RING_A]):
        assert get_keyring().kids == ("b", "a")


def test_padded_key_accepted():
    padded = base64.urlsafe_b64encode(_b64d(KEY_A)).decode()
    assert padded.endswith("=")
    with override_settings(XIAOBAO_PI_KEYS=f" a : {padded} , "):
        assert get_keyring().keys["a"] == _b64d(KEY_A)


@pytest.mark.parametrize(
    "spec",
    [
        "nokid",
        f":{KEY_A}",
        f"bad kid:{KEY_A}",
        f"a:{KEY_A},a:{KEY_B}",
        "a:c2hvcnQ",  # 5 bytes
        "a:not+base64/",
        f"{'k' * 33}:{KEY_A}",
    ],
)
def test_bad_key_settings(spec):
    with override_settings(XIAOBAO_PI_KEYS=spec), pytest.raises(ImproperlyConfigured) as info:
        get_keyring()
    assert KEY_A not in str(info.value)
    assert KEY_B not in str(info.value)


@pytest.mark.parametrize("hmac_key", ["c2hvcnQ", "not base64"])
def test_bad_hmac_key_setting(hmac_key):
    with override_settings(XIAOBAO_PI_HMAC_KEY=hmac_key), pytest.raises(ImproperlyConfigured):
        get_keyring()


def test_keyring_repr_hides_keys():
    ring = get_keyring()
    assert KEY_A not in repr(ring)
    assert repr(ring.keys["a"]) not in repr(ring)


def test_fallback_derived_from_secret_key(caplog):
    with override_settings(XIAOBAO_PI_KEYS="", XIAOBAO_PI_HMAC_KEY=None):
        ring = get_keyring()
        assert ring.derived
        assert ring.active_kid.startswith("sk")
        token = encrypt("13800138000", field="phone")
        index = blind_index("13800138000", kind="phone")
        assert decrypt(token, field="phone") == "13800138000"
        assert "derived from SECRET_KEY" in caplog.text
        with override_settings(SECRET_KEY="another-secret-key-for-the-test-only-0123456789"):
            with pytest.raises(DecryptionError, match="unknown key id"):
                decrypt(token, field="phone")
            assert blind_index("13800138000", kind="phone") != index


def test_generate_key_is_32_random_bytes():
    first, second = generate_key(), generate_key()
    assert first != second
    assert len(_b64d(first)) == crypto.KEY_BYTES
    assert "=" not in first


# --- blind index -----------------------------------------------------------------------------


def test_blind_index_is_stable_hex():
    first = blind_index("13800138000", kind="phone")
    assert first == blind_index("13800138000", kind="phone")
    assert len(first) == 64
    int(first, 16)


@pytest.mark.parametrize(
    ("kind", "variants"),
    [
        (
            "phone",
            [
                "13800138000",
                "138 0013 8000",
                "138-0013-8000",
                "+86 138 0013 8000",
                "0086-13800138000",
                "8613800138000",
                "１３８００１３８０００",
            ],
        ),
        ("id_number", ["11010519491231002X", "11010519491231002x", " 110105 19491231 002x "]),
        ("card", ["6222021234567890128", "6222 0212 3456 7890 128", "6222-0212-3456-7890-128"]),
        ("email", ["Zhang.San@Example.com", " zhang.san@example.com "]),
        ("name", ["欧阳 修", " 欧阳  修 "]),
    ],
)
def test_blind_index_normalises(kind, variants):
    assert len({blind_index(v, kind=kind) for v in variants}) == 1


def test_blind_index_distinguishes_values():
    assert blind_index("13800138000", kind="phone") != blind_index("13800138001", kind="phone")


def test_blind_index_differs_per_kind():
    assert blind_index("6222021234567890128", kind="card") != blind_index(
        "6222021234567890128", kind="phone"
    )
    assert blind_index("张三", kind="name") != blind_index("张三", kind="email")


def test_blind_index_depends_on_hmac_key():
    index = blind_index("13800138000", kind="phone")
    with override_settings(XIAOBAO_PI_HMAC_KEY=HMAC_2):
        assert blind_index("13800138000", kind="phone") != index
    assert blind_index("13800138000", kind="phone") == index


def test_blind_index_ignores_encryption_keys():
    index = blind_index("13800138000", kind="phone")
    with override_settings(XIAOBAO_PI_KEYS=RING_BA):
        assert blind_index("13800138000", kind="phone") == index


def test_blind_index_empty_and_unknown_kind():
    assert blind_index("", kind="phone") == ""
    assert blind_index(" - ", kind="phone") == ""
    with pytest.raises(ValueError, match="no blind index"):
        blind_index("x", kind="address")


def test_normalise():
    assert normalise("phone", "+86 138-0013-8000") == "13800138000"
    assert normalise("phone", "010-62345678") == "01062345678"
    assert normalise("id_number", "11010519491231002ｘ") == "11010519491231002X"
    assert normalise("card", "6222 0212 3456 7890 128") == "6222021234567890128"
    assert normalise("email", " A@B.CN ") == "a@b.cn"
    assert normalise("name", " 张  三 ") == "张 三"


@HYPOTHESIS
@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.sampled_from(["", " ", "-"]))
def test_blind_index_phone_formatting_property(phone, sep):
    formatted = sep.join([phone[:3], phone[3:7], phone[7:]])
    assert blind_index(formatted, kind="phone") == blind_index(phone, kind="phone")
    assert blind_index("+86" + sep + formatted, kind="phone") == blind_index(phone, kind="phone")
