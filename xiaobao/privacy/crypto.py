"""Encryption at rest (AES-256-GCM with a rotating key ring) and keyed blind indexes for lookups.

Settings (read lazily, normally filled from the environment by settings.py):

* ``XIAOBAO_PI_KEYS``: ``"kid:base64url-32-bytes,kid2:..."``; the first key encrypts, all decrypt.
* ``XIAOBAO_PI_HMAC_KEY``: base64url of at least 32 random bytes, the blind-index key. It is never
  rotated by the key ring: changing it invalidates every stored blind index.

Either missing or empty falls back to a key derived from ``SECRET_KEY`` (development only).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed  # the object django.test.signals re-exports

logger = logging.getLogger(__name__)

VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12  # 96-bit nonce, the size GCM is specified for
_TAG_BYTES = 16
_KID_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_B64_RE = re.compile(r"[A-Za-z0-9_-]+={0,2}")
_SETTINGS = frozenset({"XIAOBAO_PI_KEYS", "XIAOBAO_PI_HMAC_KEY", "SECRET_KEY"})
BLIND_INDEX_KINDS = ("phone", "id_number", "card", "email", "name")


class DecryptionError(ValueError):
    """A token could not be decrypted: malformed, unknown key id, tampered or wrong field."""


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    # urlsafe_b64decode silently skips foreign characters; refuse them instead.
    if not _B64_RE.fullmatch(text):
        raise ValueError("not base64url")
    text = text.rstrip("=")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError("not base64url") from exc
    # The decoder ignores the unused low bits of the last character, so several strings decode to
    # the same bytes; accept only the canonical one so an altered token never passes as valid.
    if _b64e(data) != text:
        raise ValueError("not canonical base64url")
    return data


def generate_key() -> str:
    """A random 256-bit key as unpadded base64url, for XIAOBAO_PI_KEYS or XIAOBAO_PI_HMAC_KEY."""
    return _b64e(os.urandom(KEY_BYTES))


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=b"xiaobao.privacy", info=purpose
    ).derive(secret.encode("utf-8"))


@dataclass(frozen=True)
class KeyRing:
    """Parsed keys: `keys` in configured order (the first is active) and the blind-index key."""

    keys: Mapping[str, bytes] = field(repr=False)
    hmac_key: bytes = field(repr=False)
    derived: bool = False

    def __post_init__(self) -> None:
        if not self.keys:
            raise ImproperlyConfigured("XIAOBAO_PI_KEYS: at least one key is required")
        for kid, key in self.keys.items():
            if not _KID_RE.fullmatch(kid):
                raise ImproperlyConfigured(f"XIAOBAO_PI_KEYS: invalid key id {kid!r}")
            if len(key) != KEY_BYTES:
                raise ImproperlyConfigured(f"XIAOBAO_PI_KEYS: key {kid!r} must be 32 bytes")
        if len(self.hmac_key) < KEY_BYTES:
            raise ImproperlyConfigured("XIAOBAO_PI_HMAC_KEY must be at least 32 bytes")
        object.__setattr__(self, "keys", MappingProxyType(dict(self.keys)))

    @property
    def active_kid(self) -> str:
        return next(iter(self.keys))

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(self.keys)

    def key(self, kid: str) -> bytes:
        try:
            return self.keys[kid]
        except KeyError:
            raise DecryptionError(f"unknown key id {kid!r}") from None

    @staticmethod
    def parse_keys(spec: str) -> dict[str, bytes]:
        """Parse ``"kid:b64url,kid2:b64url"`` keeping order; errors never echo key material."""
        keys: dict[str, bytes] = {}
        for entry in filter(None, (part.strip() for part in spec.split(","))):
            kid, sep, encoded = entry.partition(":")
            kid = kid.strip()
            if not sep or not _KID_RE.fullmatch(kid):
                raise ImproperlyConfigured("XIAOBAO_PI_KEYS entries must look like kid:base64url")
            if kid in keys:
                raise ImproperlyConfigured(f"XIAOBAO_PI_KEYS: duplicate key id {kid!r}")
            try:
                keys[kid] = _b64d(encoded.strip())
            except ValueError:
                raise ImproperlyConfigured(
                    f"XIAOBAO_PI_KEYS: key {kid!r} is not base64url"
                ) from None
        return keys

    @classmethod
    def from_settings(cls) -> KeyRing:
        spec: Any = getattr(settings, "XIAOBAO_PI_KEYS", None) or ""
        if isinstance(spec, list | tuple):
            spec = ",".join(spec)
        hmac_spec: str = getattr(settings, "XIAOBAO_PI_HMAC_KEY", None) or ""
        derived = False
        if spec.strip():
            keys = cls.parse_keys(spec)
        else:
            key = _derive(settings.SECRET_KEY, b"encryption")
            # The kid fingerprints the derived key so a changed SECRET_KEY gives "unknown key id"
            # rather than an authentication failure that looks like tampering.
            keys = {"sk" + hashlib.sha256(b"kid" + key).hexdigest()[:8]: key}
            derived = True
        if hmac_spec.strip():
            try:
                hmac_key = _b64d(hmac_spec.strip())
            except ValueError:
                raise ImproperlyConfigured("XIAOBAO_PI_HMAC_KEY is not base64url") from None
        else:
            hmac_key = _derive(settings.SECRET_KEY, b"blind-index")
            derived = True
        if derived:
            logger.warning(
                "Personal-data keys derived from SECRET_KEY: set XIAOBAO_PI_KEYS and "
                "XIAOBAO_PI_HMAC_KEY outside development"
            )
        return cls(keys=keys, hmac_key=hmac_key, derived=derived)


@lru_cache(maxsize=1)
def get_keyring() -> KeyRing:
    """The key ring built from settings, cached until `reset_keyring()` or a settings override."""
    return KeyRing.from_settings()


def reset_keyring() -> None:
    get_keyring.cache_clear()
    _cipher.cache_clear()


@lru_cache(maxsize=8)
def _cipher(key: bytes) -> AESGCM:
    """The cipher of a key, set up once (half the cost of encrypting a phone number)."""
    return AESGCM(key)


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in _SETTINGS:
        reset_keyring()


setting_changed.connect(_on_setting_changed, dispatch_uid="xiaobao.privacy.crypto.reset_keyring")


def _aad(kid: str, field: str) -> bytes:
    # Binding version and kid as well as the field keeps the whole header authenticated.
    return f"{VERSION}:{kid}:{field}".encode()


def _check_field(field: str) -> None:
    if not isinstance(field, str) or not field:
        raise ValueError("field must be a non-empty string")


def _split(token: str) -> tuple[str, bytes]:
    if not isinstance(token, str):
        raise DecryptionError("token must be a string")
    version, _, rest = token.partition(":")
    kid, _, payload = rest.partition(":")
    if version != VERSION or not _KID_RE.fullmatch(kid):
        raise DecryptionError("malformed token")
    try:
        blob = _b64d(payload)
    except ValueError:
        raise DecryptionError("malformed token") from None
    if len(blob) < NONCE_BYTES + _TAG_BYTES:
        raise DecryptionError("malformed token")
    return kid, blob


def looks_encrypted(value: object) -> bool:
    """Whether `value` has the token shape (no key needed); for data migrations."""
    try:
        _split(value)  # type: ignore[arg-type]
    except DecryptionError:
        return False
    return True


def encrypt(plaintext: str, *, field: str) -> str:
    """Encrypt with the active key; `field` is authenticated so the token only decrypts there."""
    if not isinstance(plaintext, str):
        raise TypeError("plaintext must be str")
    _check_field(field)
    ring = get_keyring()
    kid = ring.active_kid
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(ring.key(kid)).encrypt(nonce, plaintext.encode("utf-8"), _aad(kid, field))
    return f"{VERSION}:{kid}:{_b64e(nonce + sealed)}"


def decrypt(token: str, *, field: str) -> str:
    """Decrypt a token from `encrypt`; raise DecryptionError on any failure."""
    _check_field(field)
    kid, blob = _split(token)
    key = get_keyring().key(kid)
    try:
        data = _cipher(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], _aad(kid, field))
        return data.decode("utf-8")
    except (InvalidTag, UnicodeDecodeError):
        raise DecryptionError(
            f"token failed authentication (tampered, wrong field or wrong key {kid!r})"
        ) from None


def key_id_of(token: str) -> str:
    return _split(token)[0]


def needs_rotation(token: str) -> bool:
    return key_id_of(token) != get_keyring().active_kid


def reencrypt(token: str, *, field: str) -> str:
    """The token under the active key; an already current token is verified and returned as is."""
    plaintext = decrypt(token, field=field)
    return encrypt(plaintext, field=field) if needs_rotation(token) else token


_NON_DIGITS = re.compile(r"[^0-9]")
_SPACES = re.compile(r"\s+")


def normalise(kind: str, value: str) -> str:
    """Canonical form hashed by `blind_index`, so formatting variants of one value collide."""
    # NFKC folds full-width digits and letters (common in Chinese input) to ASCII.
    value = unicodedata.normalize("NFKC", value)
    if kind == "phone":
        digits = _NON_DIGITS.sub("", value)
        for prefix in ("0086", "86"):
            if len(digits) == len(prefix) + 11 and digits.startswith(prefix + "1"):
                return digits[len(prefix) :]
        return digits
    if kind == "id_number":
        return _SPACES.sub("", value).upper()
    if kind == "card":
        return _NON_DIGITS.sub("", value)
    if kind == "email":
        return value.strip().lower()
    if kind == "name":
        return _SPACES.sub(" ", value.strip())
    raise ValueError(f"no blind index for kind {kind!r}; expected one of {BLIND_INDEX_KINDS}")


def name_index(name: str) -> str:
    """The keyed hash of a complainant's name for exact lookups, never the name itself:
    full-width folded, lower-cased, all spaces removed (张 伟 = 张伟, Zhang Wei = zhangwei).

    Stored beside the encrypted name (`Complainant.name_index`); "" for an empty name.
    """
    canonical = "".join(unicodedata.normalize("NFKC", name or "").lower().split())
    return blind_index(canonical, kind="name") if canonical else ""


def blind_index(value: str, *, kind: str) -> str:
    """Hex HMAC-SHA256 of ``kind:normalised`` for exact lookups; "" when nothing is left."""
    canonical = normalise(kind, value)
    if not canonical:
        return ""
    message = f"{kind}:{canonical}".encode()
    return hmac.new(get_keyring().hmac_key, message, hashlib.sha256).hexdigest()
