"""WSGI entry point for production servers (gunicorn, uWSGI).

What the first request of every process would otherwise load is loaded here: the URL
configuration (and the views it imports, scikit-learn among them: about 5 s) with its reverse
lookups in every language (and every namespace's), the menu's links, the busiest templates, the
translation catalogues and the Chinese word segmenter's dictionary (jieba, about 2 s and tens of
MB). Run gunicorn with `-c python:xiaobao.gunicorn_conf` (it preloads, as xiaobao/watch/deploy
does) and the master process loads them once, then forks workers that share them copy-on-write;
`gc.freeze()` keeps the collector from touching (and so copying) those long-lived objects in
every worker.

Last, the search and registry pages are served once (`xiaobao.lib.warm.pages`: read only, signed
in as an active superuser), every active user's grants are kept, and every database connection
and pool is closed again, which a forked worker must never inherit. A forked child then serves
the pages once more and lists the memory it wrote (`warm.learn_written`). Each worker has those
pages copied and opens its pool before its first request (the gunicorn settings' hook), and each
pooled connection plans those pages' statements first.
"""

import gc
import os
from collections.abc import Iterator
from contextlib import suppress
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaobao.settings")
application = get_wsgi_application()


def _namespaces(resolver: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    for name, (_prefix, sub) in resolver.namespace_dict.items():
        yield path + name, sub
        yield from _namespaces(sub, f"{path}{name}:")


def _compile(name: str, done: set[str] | None = None) -> None:
    """Compile template `name` and the templates it extends and includes by a constant name,
    and those of its inclusion tags (the cached template loader keeps them; a parent is
    otherwise found at the first render)."""
    from django.template import engines
    from django.template.base import Variable
    from django.template.library import InclusionNode
    from django.template.loader_tags import ExtendsNode, IncludeNode

    done = set() if done is None else done
    if name in done:
        return
    done.add(name)
    template = engines["django"].engine.get_template(name)  # type: ignore[attr-defined]
    for node in template.nodelist.get_nodes_by_type((ExtendsNode, IncludeNode, InclusionNode)):
        if isinstance(node, InclusionNode):  # an inclusion tag's own template
            if isinstance(node.filename, str):
                _compile(node.filename, done)
            continue
        expression = node.parent_name if isinstance(node, ExtendsNode) else node.template
        var = getattr(expression, "var", None)
        if isinstance(var, str):  # a quoted name; a variable is only known when rendering
            _compile(var, done)
        elif isinstance(var, Variable) and isinstance(var.literal, str):
            _compile(var.literal, done)


def _warm_up() -> None:
    from django.conf import settings
    from django.urls import NoReverseMatch, get_resolver, reverse
    from django.utils import translation

    from xiaobao.front import nav
    from xiaobao.language import segment
    from xiaobao.lib import warm

    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports the URLconf and every view module
    for name in (
        "language/search.html",
        "complaints/registry.html",
        "complaints/_registry_datalists.html",  # rendered by the registry's view itself
    ):
        _compile(name)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("投诉")
            # What reverse() and {% url %} look up is built per language, and a namespaced
            # name is reversed through a resolver of its own per namespace, built and filled at
            # its first use (`get_ns_resolver`): one name of each namespace builds it (it was
            # 0.2–0.5 s of every worker's first page).
            resolver.reverse_dict  # noqa: B018
            for path, namespace in _namespaces(resolver):
                names = [n for n in namespace.reverse_dict if isinstance(n, str)]
                # A name that takes arguments does not match: the resolvers are built anyway.
                with suppress(NoReverseMatch):
                    if names:
                        reverse(f"{path}:{names[0]}")
    nav.warm_up()
    segment.warm_up()
    if warm.pages(application):
        warm.learn_written(application)


_warm_up()
gc.freeze()
