"""Settings for the type checker only (django-stubs reads their shape, never serves a request).

The real settings refuse to load without production keys when DEBUG=0; mypy runs on a checkout.
"""

import os

os.environ.setdefault("XIAOBAO_ALLOW_INSECURE_KEY", "1")

from xiaobao.settings import *  # noqa: F403
