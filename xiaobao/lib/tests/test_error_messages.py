"""Every message a service raises as a domain error is a Chinese template with an English entry,
its values passed as `params` (or a `lazy_text`), never built with an f-string, `%` or
`.format`; and it is shown in the language of the request, values filled in."""

from __future__ import annotations

import ast
import importlib
import re
from datetime import date
from pathlib import Path

import polib
from django.core.exceptions import ValidationError
from django.utils import translation

import xiaobao
from xiaobao.complaints.choices import Axis, Status
from xiaobao.front.management.commands.compile_translations import catalogue_dirs
from xiaobao.lib.errors import (
    DomainError,
    InvalidTransitionError,
    PermissionDeniedError,
    lazy_date,
    lazy_list,
    lazy_text,
)

PACKAGE = Path(xiaobao.__file__).resolve().parent
# The domain errors, the exceptions the edges show like them, and the helpers a message reaches
# them through. `test_every_domain_error_class_is_checked` keeps the first set complete.
ERROR_NAMES = {
    "DomainError",
    "PermissionDeniedError",
    "InvalidTransitionError",
    "TargetRefused",
    "IdempotencyConflict",
    "ImportFileError",
    "MappingError",
    "ValidationError",
}
MESSAGE_HELPERS = {"lazy_text", "_need", "need", "problem", "Issue"}
# Helpers handed a Chinese message or a label that ends up inside one (`请填写%(label)s。`).
LABEL_HELPERS = {
    "_need", "need", "_text", "_date", "_not_future", "_claimed_moment", "require", "_decimal",
    "_int", "_move", "_move_agreement", "bad", "problem", "Issue",
}  # fmt: skip
PLACEHOLDER = re.compile(r"%\((\w+)\)")
SKIP_MODULES = {"wsgi", "settings_typecheck"}
# Chinese characters and the full-width punctuation that only Chinese text uses (：“”（）).
CHINESE = {
    chr(c) for r in ((0x4E00, 0x9FFF), (0x3000, 0x303F), (0xFF01, 0xFF1F)) for c in range(*r)
}
CHINESE |= {"“", "”"}


def _chinese(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and any(ch in CHINESE for ch in n.value)
        for n in ast.walk(node)
    )


def _built_with_values(node: ast.AST) -> bool:
    """An f-string, `%`, `+` or `.format()` on Chinese text: the message is made before anyone
    knows the reader's language."""
    if isinstance(node, ast.JoinedStr | ast.BinOp):
        return _chinese(node)
    if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "format":
        return _chinese(node.func)
    return False


def _calls(root: Path):
    for path in sorted(root.rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
                where = f"{path.relative_to(root.parent)}:{node.lineno}"
                yield name, node, where


def built_messages(root: Path) -> dict[str, str]:
    """Messages built with values before they reach a domain error: where → source line."""
    found = {}
    for name, node, where in _calls(root):
        if name in ERROR_NAMES:
            args = node.args[:1] + [k.value for k in node.keywords if k.arg == "message"]
        elif name in MESSAGE_HELPERS:
            args = node.args + [k.value for k in node.keywords]
        else:
            continue
        for arg in args:
            if _built_with_values(arg):
                found[where] = ast.unparse(arg)[:120]
    return found


def literal_messages(root: Path) -> dict[str, str]:
    """Chinese message templates given to domain errors and `lazy_text`, and the messages and
    labels given to the helpers that raise them: text → where."""
    found: dict[str, str] = {}
    for name, node, where in _calls(root):
        if name in LABEL_HELPERS:
            for arg in node.args + [k.value for k in node.keywords if k.arg == "fix"]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and _chinese(arg):
                    found.setdefault(arg.value, where)
        if name not in ERROR_NAMES | {"lazy_text"} or not node.args:
            continue
        first = node.args[0]
        if isinstance(first, ast.Call) and getattr(first.func, "id", "") in {"_", "gettext"}:
            first = first.args[0] if first.args else first
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and _chinese(first):
            found.setdefault(first.value, where)
    return found


def english_entries() -> dict[str, str]:
    entries: dict[str, str] = {}
    for folder in catalogue_dirs():
        for po in (folder / "en" / "LC_MESSAGES").glob("*.po"):
            entries |= {e.msgid: e.msgstr for e in polib.pofile(str(po)) if e.msgstr}
    return entries


def test_the_walk_finds_a_message_built_with_values(tmp_path):
    (tmp_path / "services.py").write_text(
        'raise DomainError(f"案件{no}已结案")\n'
        'raise InvalidTransitionError("状态为" + label)\n'
        'raise DomainError("第%s行" % n, code="x")\n'
        'raise ImportFileError("工作表{}不存在".format(sheet))\n'
        '_need(value, f"第{i}项：请填写。", "field")\n'
        'problem("title", "标题超过%(chars)s字。", fix=f"删到{n}字以内。", chars=n)\n'
        'raise DomainError("案件%(no)s已结案", params={"no": no})\n'
        'problem("title", "标题为空。", fix="填写标题。")\n',
        encoding="utf-8",
    )
    assert sorted(built_messages(tmp_path)) == [
        f"{tmp_path.name}/services.py:{n}" for n in (1, 2, 3, 4, 5, 6)
    ]
    assert {"案件%(no)s已结案", "标题为空。", "填写标题。"} <= set(literal_messages(tmp_path))


def test_no_domain_error_message_is_built_with_values():
    built = built_messages(PACKAGE)
    listing = "\n".join(f"{where}: {code}" for where, code in built.items())
    assert not built, f"{len(built)} message(s) built before the language is known:\n{listing}"


def test_every_domain_error_class_is_checked():
    for path in PACKAGE.rglob("*.py"):  # every class, not only those imported so far
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if not {"tests", "migrations"} & set(parts) and parts[-1] not in SKIP_MODULES:
            importlib.import_module(".".join(p for p in parts if p != "__init__"))

    def subclasses(cls: type) -> set[type]:
        return {s for c in cls.__subclasses__() for s in {c, *subclasses(c)}}

    names = {c.__name__ for c in subclasses(DomainError) if c.__module__.startswith("xiaobao.")}
    assert {"PermissionDeniedError", "TargetRefused", "ImportFileError"} <= names
    assert names <= ERROR_NAMES, f"add to ERROR_NAMES: {names - ERROR_NAMES}"


def test_every_domain_error_message_has_an_english_entry_with_the_same_values():
    messages = literal_messages(PACKAGE)
    assert len(messages) > 250  # the walk really reads the services
    assert "计划至少须有一项工作措施才能提交。" in messages
    assert "投诉当前状态为“%(status)s”，不能执行“%(action)s”。" in messages
    english = english_entries()
    missing = {m: where for m, where in messages.items() if m not in english}
    listing = "\n".join(f"{where}: {m}" for m, where in list(missing.items())[:40])
    assert not missing, f"{len(missing)} domain error message(s) without English:\n{listing}"
    unlike = {
        m: english[m]
        for m in messages
        if sorted(PLACEHOLDER.findall(m)) != sorted(PLACEHOLDER.findall(english[m]))
    }
    assert not unlike, f"English entries whose values differ from the Chinese: {unlike}"


def test_a_domain_error_speaks_the_language_of_the_request():
    error = PermissionDeniedError("您没有执行此操作的权限。")
    with translation.override("en"):
        assert error.message == "You do not have permission to do this." == str(error)
    with translation.override("zh-hans"):
        assert error.message == "您没有执行此操作的权限。"


def test_values_and_labels_follow_the_language_of_the_reader():
    error = InvalidTransitionError(
        "投诉当前状态为“%(status)s”，不能执行“%(action)s”。",
        params={"status": Status.ACCEPTED.label, "action": lazy_text("受理")},
        code="invalid_transition",
    )
    with translation.override("en"):
        assert error.message == "The complaint is “In progress”; “Accept” is not allowed."
        # Chinese whatever the page's language: what the service wrote.
        assert error.source_message == "投诉当前状态为“处理中”，不能执行“受理”。"
    with translation.override("zh-hans"):
        assert error.message == "投诉当前状态为“处理中”，不能执行“受理”。"
    assert error.code == "invalid_transition"
    # A message handed over as lazy text, nested values, dates and lists.
    row = lazy_text("第%(n)s位投诉人", {"n": 2})
    error = DomainError(
        lazy_text("%(where)s：请填写姓名或单位名称。", {"where": row}), field="name"
    )
    dated = DomainError(
        "办理期限已于%(due)s届满，不能再批准延期；"
        "逾期的投诉不会因事后批准而视为按时办理。如需结束该申请，请驳回。",
        params={"due": lazy_date(date(2027, 2, 1))},
    )
    listed = DomainError(
        "作出决定前须完成分类：%(axes)s。",
        params={"axes": lazy_list([Axis.BUSINESS_CATEGORY.label, Axis.CAUSE.label])},
    )
    with translation.override("en"):
        assert error.message == "Complainant 2: enter the name or the organisation's name."
        assert error.field == "name"
        assert "2027-02-01" in dated.message and "年" not in dated.message
        assert listed.message == (
            "Complete the classification before deciding: Business category, Complaint cause."
        )
    with translation.override("zh-hans"):
        assert error.message == "第2位投诉人：请填写姓名或单位名称。"
        assert dated.message.startswith("办理期限已于2027年02月01日届满")
        assert listed.message == "作出决定前须完成分类：业务类别、投诉原因。"


def test_form_errors_with_values_follow_the_language_too():
    from xiaobao.reports.texts import validate_template

    try:
        validate_template("{% if %}")
    except ValidationError as exc:
        error = exc
    with translation.override("en"):
        assert error.messages[0].startswith("Template syntax error: ")
    with translation.override("zh-hans"):
        assert error.messages[0].startswith("模板语法错误：")
