"""Every flash message (`messages.success(request, …)` and its siblings) is a Chinese text marked
for translation, its values filled in after translating (`_("…%(n)s…") % {"n": n}`), never a
bare literal or an f-string: base.html shows the message as it was stored, so an unmarked text
stays Chinese on English pages. (`test_catalogue` checks that each marked text has English.)"""

from __future__ import annotations

import ast
from pathlib import Path

import xiaobao
from xiaobao.lib.tests.test_error_messages import CHINESE

PACKAGE = Path(xiaobao.__file__).resolve().parent
LEVELS = {"debug", "info", "success", "warning", "error", "add_message"}
MARKERS = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext"}


def _marked(call: ast.AST) -> list[ast.AST]:
    """The literal arguments of a translation call: the texts that are marked."""
    if isinstance(call, ast.Call) and getattr(call.func, "id", "") in MARKERS:
        return list(call.args)
    return []


def unmarked_flash_messages(root: Path) -> dict[str, str]:
    """Flash messages holding Chinese text that is not marked for translation: where → code."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in LEVELS
                and getattr(node.func.value, "id", "") == "messages"
            ):
                continue
            index = 2 if node.func.attr == "add_message" else 1
            args = node.args[index : index + 1] + [
                k.value for k in node.keywords if k.arg == "message"
            ]
            for arg in args:
                marked = {id(a) for n in ast.walk(arg) for a in _marked(n)}
                chinese = [
                    n
                    for n in ast.walk(arg)
                    if isinstance(n, ast.Constant)
                    and isinstance(n.value, str)
                    and any(ch in CHINESE for ch in n.value)
                    and id(n) not in marked
                ]
                if chinese:
                    found[f"{path.relative_to(root.parent)}:{node.lineno}"] = ast.unparse(arg)[:120]
    return found


def test_the_walk_finds_unmarked_and_value_built_flash_messages(tmp_path):
    (tmp_path / "views.py").write_text(
        'messages.success(request, "已保存。")\n'
        'messages.error(request, f"已生成{year}年计划。")\n'
        'messages.warning(request, "共" + str(n) + "条")\n'
        'messages.info(request, message="请填写{}".format(label))\n'
        'messages.success(request, _(f"已吊销 {n} 个令牌。"))\n'
        'messages.add_message(request, messages.INFO, "已答复。")\n'
        'messages.success(request, _("已保存。"))\n'
        'messages.success(request, gettext("已生成%(year)s年计划。") % {"year": year})\n'
        "messages.error(request, exc.message)\n"
        "messages.success(request, DONE[name])\n",
        encoding="utf-8",
    )
    assert sorted(unmarked_flash_messages(tmp_path)) == [
        f"{tmp_path.name}/views.py:{n}" for n in (1, 2, 3, 4, 5, 6)
    ]


def test_no_flash_message_is_left_unmarked():
    found = unmarked_flash_messages(PACKAGE)
    listing = "\n".join(f"{where}: {code}" for where, code in found.items())
    assert not found, f"{len(found)} flash message(s) not marked for translation:\n{listing}"
