"""Every string marked for translation has an English entry, in the project catalogue or in the
app's own `locale/` (new apps keep their catalogue next to their code)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib

import xiaobao
from xiaobao.front.management.commands.compile_translations import catalogue_dirs
from xiaobao.lib.catalogue import marked_strings, missing_english

PACKAGE = Path(xiaobao.__file__).resolve().parent


def test_every_marked_string_has_an_english_entry():
    missing = missing_english(PACKAGE, catalogue_dirs())
    listing = "\n".join(f"{m.where}: {m.msgid}" for m in missing[:40])
    assert not missing, (
        f"{len(missing)} string(s) marked for translation have no English entry "
        f"(append them to locale/en/LC_MESSAGES/django.po or the app's own catalogue):\n{listing}"
    )


def test_the_extractor_sees_python_and_template_strings_of_the_real_code():
    found = {(m.context, m.msgid) for m in marked_strings(PACKAGE)}
    assert (None, "投诉台账") in found  # {% translate %} in complaints/registry.html
    assert (None, "已超期") in found  # gettext_lazy in complaints/forms.py
    assert (
        None,
        "非紧急提醒只在工作日 %(start)s–%(end)s 推送（按国家法定节假日及调休安排）；超期等紧急提醒随时推送。",
    ) in found  # blocktranslate


def _write_app(root: Path, *, translated: dict[str, Any]) -> tuple[Path, Path]:
    """A throwaway app with a Python string, a template string, a plural and a context, and its
    own English catalogue holding only `translated`."""
    app = root / "xiaobao_x" / "newapp"
    (app / "templates" / "newapp").mkdir(parents=True)
    (app / "views.py").write_text(
        "from django.utils.translation import gettext_lazy as _, ngettext, pgettext\n"
        "A = _('整改计划')\n"
        "B = ngettext('%(n)d 项措施', '%(n)d 项措施（复数）', 2)\n"
        "C = pgettext('任务', '完成')\n"
        "D = _(some_variable)\n",
        encoding="utf-8",
    )
    (app / "templates" / "newapp" / "page.html").write_text(
        '{% load i18n %}<h1>{% translate "措施台账" %}</h1>'
        "{% blocktranslate with n=count %}共 {{ n }} 项{% endblocktranslate %}",
        encoding="utf-8",
    )
    po = polib.POFile()
    for msgid, msgstr in translated.items():
        if isinstance(msgstr, dict):  # a plural entry
            po.append(
                polib.POEntry(
                    msgid=msgid, msgid_plural=msgstr["plural"], msgstr_plural=msgstr["forms"]
                )
            )
        else:
            po.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    po.append(polib.POEntry(msgid="完成", msgctxt="任务", msgstr="Done"))
    (app / "locale" / "en" / "LC_MESSAGES").mkdir(parents=True)
    po.save(str(app / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    return app.parent, app / "locale"


def test_a_string_without_english_entry_is_reported_with_its_place(tmp_path):
    package, locale = _write_app(tmp_path, translated={"整改计划": "Rectification plan"})
    missing = {m.msgid: m.where for m in missing_english(package, [locale])}
    assert set(missing) == {"%(n)d 项措施", "措施台账", "共 %(n)s 项"}
    assert missing["措施台账"] == "xiaobao_x/newapp/templates/newapp/page.html:1"
    assert missing["%(n)d 项措施"] == "xiaobao_x/newapp/views.py:3"


def test_an_apps_own_catalogue_counts_and_fuzzy_entries_do_not(tmp_path):
    complete = {
        "整改计划": "Rectification plan",
        "%(n)d 项措施": {
            "plural": "%(n)d 项措施（复数）",
            "forms": {0: "%(n)d measure", 1: "%(n)d measures"},
        },
        "措施台账": "Measures",
        "共 %(n)s 项": "%(n)s in all",
    }
    package, locale = _write_app(tmp_path, translated=complete)
    assert missing_english(package, [locale]) == []

    po_path = locale / "en" / "LC_MESSAGES" / "django.po"
    po = polib.pofile(str(po_path))
    po.find("措施台账").flags.append("fuzzy")
    po.save(str(po_path))
    assert [m.msgid for m in missing_english(package, [locale])] == ["措施台账"]


def test_a_plural_string_needs_a_plural_entry(tmp_path):
    # ngettext never reads a singular entry: the English page would stay Chinese.
    package, locale = _write_app(
        tmp_path,
        translated={
            "整改计划": "Rectification plan",
            "%(n)d 项措施": "%(n)d measures",
            "措施台账": "Measures",
            "共 %(n)s 项": "%(n)s in all",
        },
    )
    missing = missing_english(package, [locale])
    assert [(m.msgid, m.plural) for m in missing] == [("%(n)d 项措施", "%(n)d 项措施（复数）")]
