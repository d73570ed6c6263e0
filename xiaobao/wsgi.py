"""WSGI entry point for production servers (gunicorn, uWSGI).

What the first request of every process would otherwise load is loaded here: the URL
configuration (and the views it imports, scikit-learn among them: about 5 s) with its reverse
lookups, the two busiest templates, the translation catalogues and the Chinese word segmenter's
dictionary (jieba, about 2 s and tens of MB). Run gunicorn with `--preload` (as
xiaobao/watch/deploy does) and the master process loads them once, then forks workers that share
them copy-on-write; `gc.freeze()` keeps the collector from touching (and so copying) those
long-lived objects in every worker. Nothing here opens a database connection, which a forked
worker must never inherit.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaobao.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    from django.conf import settings
    from django.template.loader import get_template
    from django.urls import get_resolver
    from django.utils import translation

    from xiaobao.language.segment import warm_up

    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports the URLconf and every view module
    resolver.reverse_dict  # noqa: B018 - and builds what reverse() and {% url %} look up
    for _prefix, namespace in resolver.namespace_dict.values():
        namespace.reverse_dict  # noqa: B018
    for name in ("language/search.html", "complaints/registry.html"):
        get_template(name)  # compiled once (the cached template loader keeps them)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("投诉")
    warm_up()


_warm_up()
gc.freeze()
