"""WSGI entry point for production servers (gunicorn, uWSGI).

The Chinese word segmenter's dictionary (jieba, about 2 s and tens of MB) is loaded here, before
the first request: run gunicorn with `--preload` (as xiaobao/watch/deploy does) and the master
process loads it once, then forks workers that share it copy-on-write; `gc.freeze()` keeps the
collector from touching (and so copying) those long-lived objects in every worker.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaobao.settings")
application = get_wsgi_application()

from xiaobao.language.segment import warm_up  # noqa: E402 - needs the settings configured

warm_up()
gc.freeze()
