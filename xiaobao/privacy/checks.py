from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def personal_data_keys(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Production must hold its own personal-data keys, not ones derived from SECRET_KEY."""
    missing = [
        n for n in ("XIAOBAO_PI_KEYS", "XIAOBAO_PI_HMAC_KEY") if not getattr(settings, n, "")
    ]
    if not missing:
        return []
    return [
        checks.Warning(
            f"{', '.join(missing)} not set: personal data would be encrypted with keys derived "
            "from SECRET_KEY, so rotating SECRET_KEY would make it unreadable.",
            hint="Generate keys with `python -c 'from xiaobao.privacy.crypto import generate_key; "
            "print(generate_key())'` and set XIAOBAO_PI_KEYS=k1:<key> and XIAOBAO_PI_HMAC_KEY.",
            id="xiaobao.privacy.W001",
        )
    ]
