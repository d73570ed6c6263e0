"""Menu entries of training (see `xiaobao.front.nav`)."""

from django.utils.translation import gettext_lazy as _

from xiaobao.front.nav import entry

entry(
    "training",
    _("我的培训"),
    "training:index",
    permission=lambda user: user.is_authenticated,
    order=10,
    current=("training:index", "training:exam", "training:attempt", "training:sign_in"),
)
entry(
    "training",
    _("培训场次"),
    "training:sessions",
    permission="training.run_session",
    order=20,
    current=("training:sessions", "training:session", "training:session_new"),
)
entry(
    "training",
    _("培训覆盖"),
    "training:coverage",
    permission="training.view_session",
    order=30,
)
entry(
    "training",
    _("从业资格"),
    "training:qualifications",
    permission="training.view_qualification",
    order=40,
)
entry(
    "training",
    _("知识竞赛"),
    "training:contests",
    permission="training.view_contest",
    order=50,
)
entry(
    "training",
    _("人员类别"),
    "training:staff",
    permission="training.run_session",
    order=60,
    current=("training:staff", "training:staff_edit"),
)
entry(
    "training",
    _("年度培训计划"),
    "training:plans",
    permission="training.view_trainingplan",
    order=70,
    current=("training:plans", "training:plan"),
)
entry(
    "training",
    _("培训课程"),
    "training:courses",
    permission="training.view_course",
    order=80,
    current=("training:courses", "training:course_new", "training:course_edit"),
)
entry(
    "training",
    _("题库"),
    "training:questions",
    permission="training.view_question",
    order=90,
    current=("training:questions", "training:question_new", "training:question_revise"),
)
