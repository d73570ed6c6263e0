"""What an import can fill: the fields, the column titles that usually hold them, known words.

Help texts speak of the field, never of how it is given (a command-line flag or a wizard control):
the command and the wizard each say that in their own words.
"""

from __future__ import annotations

from dataclasses import dataclass

from xiaobao.complaints.choices import NoticeMethod, Outcome


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    help: str = ""


FIELD_SPECS: tuple[FieldSpec, ...] = (
    FieldSpec("external_ref", "外部编号/转办编号", "与投诉渠道一起用于识别重复导入"),
    FieldSpec("title", "投诉标题", "不对应或为空时取投诉内容前30字（警告）"),
    FieldSpec("narrative", "投诉事实与理由", "必填"),
    FieldSpec(
        "received_at", "接收时间", "必填；如 2019/2/28 11:25:05、2019年2月3日 下午3时、Excel 日期"
    ),
    FieldSpec("complainant_name", "投诉人姓名", "必填"),
    FieldSpec(
        "complainant_phone",
        "投诉人联系电话",
        "电话、地址、邮箱至少一项；转办投诉可无（警告，记录为联系方式由转办方掌握）",
    ),
    FieldSpec("complainant_id_number", "投诉人证件号码"),
    FieldSpec("complainant_address", "投诉人联系地址"),
    FieldSpec("complainant_email", "投诉人电子邮箱"),
    FieldSpec("unit", "责任机构（代码或名称）", "文件中没有时可统一指定缺省责任机构"),
    FieldSpec(
        "channel",
        "投诉渠道（代码或名称，如 R12345 或 12345）",
        "文件中没有时可统一指定缺省投诉渠道",
    ),
    FieldSpec("referrer_received_on", "转办方受理日期", "转办渠道缺省按接收日期（警告）"),
    FieldSpec("complained_staff_name", "被投诉人员"),
    FieldSpec(
        "complained_staff_no",
        "被投诉人员工号（用户名）",
        "系统中有此员工时据以回避；找不到时只记录姓名（警告）",
    ),
    FieldSpec("demands", "诉求（代码或名称，可用顿号、逗号分隔多个）"),
    FieldSpec("demand_text", "诉求说明"),
    FieldSpec("amount", "涉及金额（元）"),
    FieldSpec("business_channel", "业务办理渠道（代码或名称）"),
    FieldSpec("business_category", "业务类别（代码或名称）"),
    FieldSpec("cause", "投诉原因（代码或名称）"),
    FieldSpec("level", "处理级别（代码或名称）", "缺省为普通"),
    FieldSpec("tags", "敏感标签（代码或名称，可多个）"),
    FieldSpec("decision_text", "答复内容", "与决定时间一起表示已答复的历史投诉"),
    FieldSpec("decided_at", "决定时间"),
    FieldSpec(
        "outcome",
        "处理结果（诉求成立/部分成立/诉求不成立）",
        "历史投诉未注明时记为“未注明”（警告，不计入处理结果统计）",
    ),
    FieldSpec("notified_at", "告知时间", "缺省同决定时间"),
    FieldSpec(
        "notice_method",
        "告知方式（书面函件/短信/电子邮件/电话/当面告知）",
        "缺省为书面函件（警告）",
    ),
)
FIELDS = {spec.name: spec for spec in FIELD_SPECS}
REQUIRED = ("narrative", "received_at", "complainant_name")

# Column titles commonly used by referral lists and ledgers, to pre-fill the mapping.
GUESSES: dict[str, tuple[str, ...]] = {
    "external_ref": ("工单编号", "工单号", "转办编号", "编号", "留言编号", "投诉编号", "单号"),
    "title": ("标题", "主题", "留言主题", "投诉标题", "事项"),
    "narrative": ("内容", "诉求内容", "留言详情", "投诉内容", "详情", "事实与理由", "问题描述"),
    "received_at": ("受理时间", "接收时间", "留言时间", "登记时间", "来电时间", "日期", "时间"),
    "complainant_name": ("姓名", "来电人", "投诉人", "留言用户", "客户姓名", "联系人"),
    "complainant_phone": ("电话", "联系电话", "手机", "手机号", "来电号码"),
    "complainant_address": ("地址", "联系地址"),
    "complainant_id_number": ("证件号码", "身份证号", "身份证号码"),
    "unit": ("承办机构", "责任机构", "机构", "网点", "承办单位", "责任部门"),
    "channel": ("渠道", "来源", "投诉渠道", "投诉来源"),
    "business_channel": ("业务办理渠道", "办理渠道"),
    "business_category": ("业务类别", "业务类型"),
    "cause": ("投诉原因", "原因"),
    "complained_staff_name": ("被投诉人", "被投诉人员", "涉及员工"),
    "complained_staff_no": ("工号", "员工工号", "被投诉人工号", "被投诉人员工号"),
    "decision_text": ("答复内容", "处理结果说明", "办理结果", "回复内容", "处理情况"),
    "decided_at": ("办结时间", "答复时间", "决定时间", "回复时间"),
    "outcome": ("处理结果", "是否成立"),
    "referrer_received_on": ("转办方受理日期",),
    "amount": ("涉及金额", "金额"),
    "demands": ("诉求类型",),
}
KNOWN_TITLES = frozenset(
    {title for titles in GUESSES.values() for title in titles}
    | set(FIELDS)
    | {spec.label.split("（")[0] for spec in FIELD_SPECS}
)

OUTCOME_WORDS = {
    "成立": Outcome.UPHELD,
    "诉求成立": Outcome.UPHELD,
    "支持": Outcome.UPHELD,
    "部分成立": Outcome.PARTLY_UPHELD,
    "部分支持": Outcome.PARTLY_UPHELD,
    "不成立": Outcome.NOT_UPHELD,
    "诉求不成立": Outcome.NOT_UPHELD,
    "不支持": Outcome.NOT_UPHELD,
    "未注明": Outcome.UNSTATED,
}
NOTICE_WORDS = {
    "信函": NoticeMethod.LETTER,
    "书面": NoticeMethod.LETTER,
    "邮寄": NoticeMethod.LETTER,
    "邮件": NoticeMethod.EMAIL,
    "电邮": NoticeMethod.EMAIL,
    "电话": NoticeMethod.PHONE,
    "当面": NoticeMethod.IN_PERSON,
    "现场": NoticeMethod.IN_PERSON,
}

# Fields whose values the wizard lets the user map from the institution's own words.
VALUE_MAPPED = (
    "unit",
    "channel",
    "business_channel",
    "business_category",
    "cause",
    "level",
    "complained_staff_name",
)
