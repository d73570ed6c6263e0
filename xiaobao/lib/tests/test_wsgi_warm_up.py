"""What a preloading server's master loads before forking: a worker's first page builds no URL
resolver and compiles none of the busiest pages' templates (issue 27: no cold-start outlier)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = """
import json
import xiaobao.wsgi
from django.template import engines
from django.urls import get_resolver, resolvers, reverse, NoReverseMatch
from django.utils import translation
from xiaobao.front import nav
from xiaobao.wsgi import _namespaces

built = []
populate = resolvers.URLResolver._populate
def counted(self):
    built.append(repr(self))
    return populate(self)
resolvers.URLResolver._populate = counted

reversed_names = 0
for code in ("zh-hans", "en"):
    with translation.override(code):
        for path, namespace in _namespaces(get_resolver()):
            for name in [n for n in namespace.reverse_dict if isinstance(n, str)][:3]:
                try:
                    reverse(f"{path}:{name}")
                except NoReverseMatch:
                    pass
                reversed_names += 1
loader = engines["django"].engine.template_loaders[0]
print(json.dumps({
    "built": built,
    "reversed": reversed_names,
    "menu_links": len(nav._URLS),
    "menu_entries": len(nav.entries()),
    "templates": sorted(loader.get_template_cache),
}))
"""


def test_the_master_builds_what_a_first_page_would():
    env = dict(
        os.environ, DJANGO_SETTINGS_MODULE="xiaobao.settings", XIAOBAO_ALLOW_INSECURE_KEY="1"
    )
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["reversed"] > 20  # every namespace, in both languages
    assert found["built"] == []  # no resolver built after the warm-up, in either language
    assert found["menu_links"] == found["menu_entries"] > 20
    for name in (
        "base.html",
        "front/_nav.html",
        "language/search.html",
        "complaints/registry.html",
    ):
        assert name in found["templates"]
