"""Workbench pages of training: thin — parse, call one service, render.

A refused action answers 403, an illegal transition 409, invalid input 400 (the page again with
the message); a record outside the user's scope is a 404 like one that does not exist. The exam
page never carries an answer key: the answers reach the browser only after the paper is locked.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiaobao.audit.selectors import timeline
from xiaobao.lib.errors import DomainError
from xiaobao.lib.web import domain_status, form_error
from xiaobao.organisation.choices import Role, StaffCategory
from xiaobao.organisation.models import Unit, User
from xiaobao.organisation.scope import get_visible_or_404, unit_in_scope, visible_to
from xiaobao.training import selectors, services
from xiaobao.training.choices import (
    PLAN_TRANSITIONS,
    SESSION_TRANSITIONS,
    AttemptStatus,
    ExamStatus,
    PlanStatus,
    QuestionKind,
    SessionStatus,
)
from xiaobao.training.forms import (
    CodeForm,
    ContestForm,
    CorrectForm,
    CourseForm,
    EntryForm,
    ExamForm,
    MarkForm,
    PlanForm,
    QualificationForm,
    QuestionForm,
    ReasonForm,
    ReturnForm,
    SessionForm,
    StaffProfileForm,
)
from xiaobao.training.models import (
    Attempt,
    Attendance,
    Contest,
    Course,
    Exam,
    Question,
    Session,
    TrainingPlan,
)


def _units(user: Any) -> Any:
    return visible_to(user, Unit.objects.filter(is_active=True)).order_by("path")


def _staff(user: Any) -> Any:
    return (
        visible_to(user, User.objects.filter(is_active=True))
        .select_related("unit")
        .order_by("unit__path", "username")
    )


def _refused(request: HttpRequest, exc: DomainError, target: str) -> HttpResponse:
    """Invalid input goes back to the page with the message; a refused or illegal action is
    answered with its status (403/409) on a page that says why."""
    status = domain_status(exc)
    if status == 400:
        messages.error(request, exc.message)
        return redirect(target)
    return render(
        request, "training/refused.html", {"message": exc.message, "back": target}, status=status
    )


# --- my training --------------------------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    mine = (
        Attendance.objects.filter(user=user)
        .select_related("session__unit", "session__course")
        .order_by("-session__starts_at")[:30]
    )
    exams = [
        (exam, selectors.attempts_for(user).filter(exam=exam, user=user).count())
        for exam in selectors.exams_for(user).filter(status=ExamStatus.OPEN)
        if services.may_sit(user, exam)
    ]
    return render(
        request,
        "training/index.html",
        {
            "attendances": mine,
            "exams": exams,
            "attempts": Attempt.objects.filter(user=user).select_related("exam")[:20],
            "qualifications": user.qualifications.all(),
            "code_form": CodeForm(),
        },
    )


@login_required
def sign_in(request: HttpRequest) -> HttpResponse:
    """Sign in with the session's code (typed, or read from the QR code as ?code=…)."""
    form = CodeForm(request.POST or request.GET or None)
    session = None
    if form.is_bound and form.is_valid():
        session = Session.objects.filter(sign_in_code=form.cleaned_data["code"].upper()).first()
        if session is None:
            form.add_error("code", _("签到码不正确。"))
        elif request.method == "POST":
            try:
                services.attendance_sign_in(
                    actor=request.user, session=session, code=form.cleaned_data["code"]
                )
            except DomainError as exc:
                form_error(form, exc)
                return render(
                    request,
                    "training/sign_in.html",
                    {"form": form, "session": session},
                    status=domain_status(exc),
                )
            messages.success(request, _("签到成功。"))
            return redirect("training:index")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "training/sign_in.html", {"form": form, "session": session}, status=status
    )


@login_required
@require_POST
def session_sign_in(request: HttpRequest, pk: int) -> HttpResponse:
    """The person on the roster signs in for themself in the browser."""
    session = selectors.sessions_for(request.user).filter(pk=pk).first()
    if session is None:
        raise Http404
    try:
        services.attendance_sign_in(actor=request.user, session=session)
    except DomainError as exc:
        return _refused(request, exc, reverse("training:index"))
    messages.success(request, _("签到成功。"))
    return redirect("training:index")


# --- sessions -----------------------------------------------------------------------------------


@login_required
@permission_required("training.view_session", raise_exception=True)
def sessions(request: HttpRequest) -> HttpResponse:
    rows = visible_to(request.user, Session.objects.select_related("unit", "course"))
    return render(request, "training/sessions.html", {"sessions": rows[:200]})


@login_required
@permission_required("training.run_session", raise_exception=True)
def session_new(request: HttpRequest) -> HttpResponse:
    form = SessionForm(request.POST or None, units=_units(request.user))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            session = services.session_create(
                actor=request.user,
                data=services.SessionData(
                    course=d["course"],
                    unit=d["unit"],
                    title=d["title"],
                    starts_at=d["starts_at"],
                    ends_at=d["ends_at"],
                    hours=d["hours"],
                    trainer_kind=d["trainer_kind"],
                    trainer_name=d["trainer_name"],
                    mode=d["mode"],
                    place=d["place"],
                    materials=d["materials"],
                    enrol_audience=d["enrol_audience"],
                ),
            )
        except DomainError as exc:
            form_error(form, exc)
            return render(
                request, "training/session_form.html", {"form": form}, status=domain_status(exc)
            )
        messages.success(request, _("培训场次已发布。"))
        return redirect("training:session", pk=session.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "training/session_form.html", {"form": form}, status=status)


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


@login_required
@permission_required("training.view_session", raise_exception=True)
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_visible_or_404(
        request.user, Session.objects.select_related("unit", "course"), pk=pk
    )
    can_run = request.user.has_perm("training.run_session") and unit_in_scope(
        request.user, session.unit
    )
    qr = ""
    sign_url = (
        request.build_absolute_uri(reverse("training:sign_in")) + f"?code={session.sign_in_code}"
    )
    if can_run and session.status == SessionStatus.SIGNING:
        qr = mark_safe(_qr_svg(sign_url))  # qrcode draws only paths
    return render(
        request,
        "training/session_detail.html",
        {
            "session": session,
            "roster": session.attendances.select_related("user__unit"),
            "can_run": can_run,
            "next": SESSION_TRANSITIONS[session.status],
            "qr": qr,
            "sign_url": sign_url,
            "mark_form": MarkForm(),
            "reason_form": ReasonForm(),
            "exam_form": ExamForm(initial={"title": f"{session.title}测试"}),
            "exams": session.exams.all(),
            "events": timeline(session),
        },
    )


@login_required
@require_POST
def session_advance(request: HttpRequest, pk: int, to: str) -> HttpResponse:
    session = get_visible_or_404(request.user, Session.objects.all(), pk=pk)
    target = reverse("training:session", args=[pk])
    try:
        services.session_advance(
            actor=request.user, session=session, to=to, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        return _refused(request, exc, target)
    messages.success(request, _("场次状态已更新。"))
    return redirect(target)


@login_required
@require_POST
def attendance_mark(request: HttpRequest, pk: int) -> HttpResponse:
    attendance = get_visible_or_404(
        request.user, Attendance.objects.select_related("session"), pk=pk
    )
    target = reverse("training:session", args=[attendance.session_id])
    form = MarkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择出勤情况。"))
        return redirect(target)
    try:
        services.attendance_mark(
            actor=request.user,
            attendance=attendance,
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
        )
    except DomainError as exc:
        return _refused(request, exc, target)
    messages.success(request, _("出勤已登记。"))
    return redirect(target)


@login_required
@require_POST
def exam_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Set and open the exam of a session."""
    session = get_visible_or_404(request.user, Session.objects.all(), pk=pk)
    target = reverse("training:session", args=[pk])
    form = ExamForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect(target)
    d = form.cleaned_data
    try:
        exam = services.exam_create(
            actor=request.user,
            data=services.ExamData(
                title=d["title"],
                unit=session.unit,
                session=session,
                rule=form.rule(),
                pass_mark=d["pass_mark"],
                time_limit_minutes=d["time_limit_minutes"],
                max_attempts=d["max_attempts"],
                shuffle=d["shuffle"],
            ),
        )
        services.exam_advance(actor=request.user, exam=exam, to=ExamStatus.OPEN)
    except DomainError as exc:
        return _refused(request, exc, target)
    messages.success(request, _("考试已开放作答。"))
    return redirect("training:exam", pk=exam.pk)


# --- exams and attempts -------------------------------------------------------------------------


def _exam(request: HttpRequest, pk: int) -> Exam:
    exam = selectors.exams_for(request.user).filter(pk=pk).first()
    if exam is None:
        raise Http404
    return exam


@login_required
def exam_detail(request: HttpRequest, pk: int) -> HttpResponse:
    exam = _exam(request, pk)
    user = cast(User, request.user)
    mine = Attempt.objects.filter(exam=exam, user=user).order_by("number")
    manages = user.has_perm("training.change_exam") and unit_in_scope(user, exam.unit)
    results = (
        visible_to(user, Attempt.objects.filter(exam=exam).select_related("user__unit"))
        if manages
        else Attempt.objects.none()
    )
    return render(
        request,
        "training/exam_detail.html",
        {
            "exam": exam,
            "mine": mine,
            "left": max(exam.max_attempts - mine.count(), 0),
            "may_sit": services.may_sit(user, exam),
            "manages": manages,
            "results": results,
        },
    )


@login_required
@require_POST
def exam_start(request: HttpRequest, pk: int) -> HttpResponse:
    exam = _exam(request, pk)
    try:
        attempt = services.attempt_start(actor=request.user, exam=exam)
    except DomainError as exc:
        return _refused(request, exc, reverse("training:exam", args=[pk]))
    return redirect("training:attempt", pk=attempt.pk)


def _paper(attempt: Attempt, reveal: bool) -> list[dict[str, Any]]:
    """The questions as shown; answers and explanations only when `reveal` (paper locked)."""
    questions = Question.objects.in_bulk([item["q"] for item in attempt.paper])
    out = []
    for n, item in enumerate(attempt.paper, start=1):
        q = questions[item["q"]]
        chosen = attempt.answers.get(str(q.pk), [])
        row: dict[str, Any] = {
            "n": n,
            "pk": q.pk,
            "kind": q.kind,
            "kind_label": q.get_kind_display(),
            "stem": q.stem,
            "options": [
                {"index": i, "label": "ABCDEFGH"[pos], "text": q.options[i], "chosen": i in chosen}
                for pos, i in enumerate(item["order"])
            ],
        }
        if reveal:
            row["right"] = sorted(chosen) == sorted(q.answer)
            row["answer"] = "".join(
                "ABCDEFGH"[pos] for pos, i in enumerate(item["order"]) if i in q.answer
            )
            row["explanation"] = q.explanation
            row["rule_article"] = q.rule_article
        out.append(row)
    return out


@login_required
def attempt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = selectors.attempts_for(request.user).filter(pk=pk).first()
    if attempt is None:
        raise Http404
    own = attempt.user_id == request.user.pk
    locked = attempt.status == AttemptStatus.LOCKED
    if not own and not request.user.has_perm("training.change_exam"):
        raise Http404
    if request.method == "POST":
        if not own:
            raise PermissionDenied
        answers: dict[str, list[str]] = {}
        for key in request.POST:
            if key.startswith("q"):
                answers[key[1:]] = request.POST.getlist(key)
        try:
            services.attempt_submit(actor=request.user, attempt=attempt, answers=answers)
        except DomainError as exc:
            return _refused(request, exc, reverse("training:attempt", args=[pk]))
        messages.success(request, _("已交卷，成绩已锁定。"))
        return redirect("training:attempt", pk=pk)
    if not locked and not own:
        # Someone else's paper in progress: no one but the candidate sees the questions.
        raise Http404
    remaining = max(int((attempt.deadline_at - timezone.now()).total_seconds()), 0)
    return render(
        request,
        "training/attempt.html",
        {
            "attempt": attempt,
            "exam": attempt.exam,
            "questions": _paper(attempt, reveal=locked),
            "locked": locked,
            "own": own,
            "remaining": remaining,
            "correct_form": CorrectForm(),
            "can_correct": locked
            and not own
            and request.user.has_perm("training.correct_attempt")
            and unit_in_scope(request.user, attempt.user.unit),
            "events": timeline(attempt),
        },
    )


@login_required
@require_POST
def attempt_correct(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = get_visible_or_404(request.user, Attempt.objects.all(), pk=pk)
    target = reverse("training:attempt", args=[pk])
    form = CorrectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写更正后的成绩和原因。"))
        return redirect(target)
    try:
        services.attempt_correct(
            actor=request.user,
            attempt=attempt,
            score=form.cleaned_data["score"],
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        return _refused(request, exc, target)
    messages.success(request, _("成绩已更正并留痕。"))
    return redirect(target)


# --- coverage -----------------------------------------------------------------------------------


def _period(request: HttpRequest) -> tuple[date, date]:
    today = timezone.localdate()
    try:
        first = date.fromisoformat(request.GET.get("first", ""))
    except ValueError:
        first = date(today.year, 1, 1)
    try:
        last = date.fromisoformat(request.GET.get("last", ""))
    except ValueError:
        last = today
    if first > last:
        first, last = last, first
    return first, last


@login_required
@permission_required("training.view_session", raise_exception=True)
def coverage(request: HttpRequest) -> HttpResponse:
    units = _units(request.user)
    unit = request.user.unit  # type: ignore[union-attr]
    wanted = request.GET.get("unit", "")
    if wanted.isdigit():
        unit = units.filter(pk=int(wanted)).first()
        if unit is None:
            raise Http404
    first, last = _period(request)
    due, on_time = selectors.new_hire_figures(unit, first, last)
    return render(
        request,
        "training/coverage.html",
        {
            "unit": unit,
            "units": units,
            "first": first,
            "last": last,
            "rows": selectors.coverage(unit, first, last),
            "untrained": selectors.not_yet_trained(unit, first, last)[:300],
            "new_hire_days": services.conf.new_hire_days(),
            "new_hire_due": due,
            "new_hire_on_time": on_time,
            "sessions": selectors.session_figures(unit, first, last),
            "exams": selectors.exam_figures(unit, first, last),
            "contests": selectors.contest_figures(unit, first, last),
            "topics": selectors.suggested_topics(unit, last),
            "by_outlet": selectors.sellers_by_outlet(unit, last),
            "unqualified": selectors.unqualified_sellers(unit, last),
        },
    )


# --- qualifications and contests ----------------------------------------------------------------


@login_required
@permission_required("training.view_qualification", raise_exception=True)
def qualifications(request: HttpRequest) -> HttpResponse:
    form = QualificationForm(request.POST or None, staff=_staff(request.user))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.qualification_add(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                form_error(form, exc)
                status = domain_status(exc)
            else:
                messages.success(request, _("从业资格已登记。"))
                return redirect("training:qualifications")
        else:
            status = 400
    today = timezone.localdate()
    return render(
        request,
        "training/qualifications.html",
        {
            "rows": selectors.qualifications_for(request.user)[:500],
            "expiring": selectors.expiring(request.user.unit, today, 60),  # type: ignore[union-attr]
            "unqualified": selectors.unqualified_sellers(request.user.unit, today),  # type: ignore[union-attr]
            "today": today,
            "form": form,
            "can_add": request.user.has_perm("training.add_qualification"),
        },
        status=status,
    )


@login_required
@permission_required("training.view_contest", raise_exception=True)
def contests(request: HttpRequest) -> HttpResponse:
    form = ContestForm(request.POST or None, units=_units(request.user))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                contest = services.contest_create(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                form_error(form, exc)
                status = domain_status(exc)
            else:
                messages.success(request, _("知识竞赛已创建。"))
                return redirect("training:contest", pk=contest.pk)
        else:
            status = 400
    return render(
        request,
        "training/contests.html",
        {
            "rows": selectors.contests_for(request.user)[:200],
            "form": form,
            "can_add": request.user.has_perm("training.add_contest"),
        },
        status=status,
    )


@login_required
@permission_required("training.view_contest", raise_exception=True)
def contest_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contest = get_visible_or_404(request.user, Contest.objects.select_related("unit"), pk=pk)
    staff = User.objects.filter(unit__path__startswith=contest.unit.path, is_active=True)
    form = EntryForm(request.POST or None, staff=staff.order_by("unit__path", "username"))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.contest_entry_add(actor=request.user, contest=contest, **form.cleaned_data)
            except DomainError as exc:
                form_error(form, exc)
                status = domain_status(exc)
            else:
                messages.success(request, _("参赛登记已保存。"))
                return redirect("training:contest", pk=pk)
        else:
            status = 400
    return render(
        request,
        "training/contest_detail.html",
        {
            "contest": contest,
            "entries": contest.entries.prefetch_related("members"),
            "form": form,
            "can_edit": request.user.has_perm("training.change_contest")
            and unit_in_scope(request.user, contest.unit),
            "events": timeline(contest),
        },
        status=status,
    )


# --- staff profiles -----------------------------------------------------------------------------


@login_required
@permission_required("training.run_session", raise_exception=True)
def staff_list(request: HttpRequest) -> HttpResponse:
    rows = _staff(request.user)
    category = request.GET.get("category", "")
    if category in StaffCategory.values:
        rows = rows.filter(staff_category=category)
    elif category == "none":
        rows = rows.filter(staff_category="")
    return render(
        request,
        "training/staff.html",
        {"rows": rows[:500], "categories": StaffCategory.choices, "category": category},
    )


@login_required
@permission_required("training.run_session", raise_exception=True)
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_visible_or_404(request.user, User.objects.select_related("unit"), pk=pk)
    initial = {
        "staff_category": person.staff_category,
        "position": person.position,
        "hire_date": person.hire_date,
        "is_seller": person.is_seller,
    }
    form = StaffProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_profile_set(actor=request.user, user=person, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
            return render(
                request,
                "training/staff_form.html",
                {"form": form, "person": person},
                status=domain_status(exc),
            )
        messages.success(request, _("人员信息已保存。"))
        return redirect("training:staff")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "training/staff_form.html", {"form": form, "person": person}, status=status
    )


# --- annual training plans ----------------------------------------------------------------------


@login_required
@permission_required("training.view_trainingplan", raise_exception=True)
def plans(request: HttpRequest) -> HttpResponse:
    form = PlanForm(
        request.POST or None,
        units=_units(request.user),
        initial={"year": timezone.localdate().year},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                plan = services.plan_create(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                form_error(form, exc)
                status = domain_status(exc)
            else:
                messages.success(request, _("年度培训计划已创建。"))
                return redirect("training:plan", pk=plan.pk)
        else:
            status = 400
    rows = visible_to(request.user, TrainingPlan.objects.select_related("unit", "created_by"))
    return render(
        request,
        "training/plans.html",
        {
            "rows": rows[:300],
            "form": form,
            "can_add": request.user.has_perm("training.add_trainingplan"),
        },
        status=status,
    )


def _plan_page(
    request: HttpRequest, plan: TrainingPlan, return_form: ReturnForm, status: int = 200
) -> HttpResponse:
    user = cast(User, request.user)
    in_scope = unit_in_scope(user, plan.unit)
    nxt = PLAN_TRANSITIONS.get(plan.status, frozenset())
    return render(
        request,
        "training/plan_detail.html",
        {
            "plan": plan,
            "sessions": visible_to(
                user, Session.objects.filter(plan=plan).select_related("unit", "course")
            ),
            "can_submit": in_scope
            and PlanStatus.SUBMITTED in nxt
            and user.has_perm("training.change_trainingplan"),
            "can_decide": in_scope
            and PlanStatus.APPROVED in nxt
            and user.has_perm("training.approve_trainingplan")
            and plan.created_by_id != user.pk,
            "return_form": return_form,
            "events": timeline(plan),
        },
        status=status,
    )


def _plan(request: HttpRequest, pk: int) -> TrainingPlan:
    return get_visible_or_404(
        request.user, TrainingPlan.objects.select_related("unit", "created_by"), pk=pk
    )


@login_required
@permission_required("training.view_trainingplan", raise_exception=True)
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_page(request, _plan(request, pk), ReturnForm())


@login_required
@require_POST
def plan_submit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    target = reverse("training:plan", args=[pk])
    try:
        services.plan_submit(actor=request.user, plan=plan)
    except DomainError as exc:
        return _refused(request, exc, target)
    messages.success(request, _("计划已提交审批。"))
    return redirect(target)


@login_required
@require_POST
def plan_approve(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    target = reverse("training:plan", args=[pk])
    try:
        services.plan_decide(actor=request.user, plan=plan, approve=True)
    except DomainError as exc:
        return _refused(request, exc, target)
    messages.success(request, _("计划已批准。"))
    return redirect(target)


@login_required
@require_POST
def plan_return(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    target = reverse("training:plan", args=[pk])
    form = ReturnForm(request.POST)
    if not form.is_valid():
        return _plan_page(request, plan, form, status=400)
    try:
        services.plan_decide(
            actor=request.user, plan=plan, approve=False, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        if domain_status(exc) == 400:
            form_error(form, exc)
            return _plan_page(request, plan, form, status=400)
        return _refused(request, exc, target)
    messages.success(request, _("计划已退回。"))
    return redirect(target)


# --- courses ------------------------------------------------------------------------------------


@login_required
@permission_required("training.view_course", raise_exception=True)
def courses(request: HttpRequest) -> HttpResponse:
    rows = Course.objects.all()
    if request.GET.get("all") != "1":
        rows = rows.filter(is_active=True)
    roles, categories = dict(Role.choices), dict(StaffCategory.choices)
    return render(
        request,
        "training/courses.html",
        {
            "rows": [(c, _audience(c, roles, categories)) for c in rows],
            "show_all": request.GET.get("all") == "1",
            "can_add": request.user.has_perm("training.add_course"),
            "can_edit": request.user.has_perm("training.change_course"),
        },
    )


def _audience(course: Course, roles: dict[str, Any], categories: dict[str, Any]) -> list[str]:
    """The audience rule in words: roles, positions, staff categories, new hires."""
    out = [str(roles.get(r, r)) for r in course.audience_roles]
    out += list(course.audience_positions)
    out += [str(categories.get(c, c)) for c in course.audience_categories]
    if course.new_hire_days:
        out.append(_("入职%(days)s天内的新员工") % {"days": course.new_hire_days})
    return out


def _course_form_page(
    request: HttpRequest, form: CourseForm, course: Course | None, status: int
) -> HttpResponse:
    return render(
        request, "training/course_form.html", {"form": form, "course": course}, status=status
    )


@login_required
@permission_required("training.add_course", raise_exception=True)
def course_new(request: HttpRequest) -> HttpResponse:
    form = CourseForm(request.POST or None)
    if request.method != "POST":
        return _course_form_page(request, form, None, 200)
    if not form.is_valid():
        return _course_form_page(request, form, None, 400)
    try:
        services.course_create(actor=request.user, **form.cleaned_data)
    except DomainError as exc:
        form_error(form, exc)
        return _course_form_page(request, form, None, domain_status(exc))
    messages.success(request, _("课程已创建。"))
    return redirect("training:courses")


@login_required
@permission_required("training.change_course", raise_exception=True)
def course_edit(request: HttpRequest, pk: int) -> HttpResponse:
    course = Course.objects.filter(pk=pk).first()
    if course is None:
        raise Http404
    form = CourseForm(request.POST or None, editing=True, initial=CourseForm.initial_for(course))
    if request.method != "POST":
        return _course_form_page(request, form, course, 200)
    if not form.is_valid():
        return _course_form_page(request, form, course, 400)
    try:
        services.course_update(actor=request.user, course=course, **form.cleaned_data)
    except DomainError as exc:
        form_error(form, exc)
        return _course_form_page(request, form, course, domain_status(exc))
    messages.success(request, _("课程已保存。"))
    return redirect("training:courses")


# --- question bank ------------------------------------------------------------------------------


@login_required
@permission_required("training.view_question", raise_exception=True)
def questions(request: HttpRequest) -> HttpResponse:
    rows = Question.objects.all()
    show_retired = request.GET.get("retired") == "1"
    if not show_retired:
        rows = rows.filter(is_active=True)
    kind = request.GET.get("kind", "")
    if kind in QuestionKind.values:
        rows = rows.filter(kind=kind)
    topic = request.GET.get("topic", "").strip()
    if topic:
        rows = rows.filter(topic=topic)
    return render(
        request,
        "training/questions.html",
        {
            "rows": rows[:500],
            "show_retired": show_retired,
            "kind": kind,
            "kinds": QuestionKind.choices,
            "topic": topic,
            "can_add": request.user.has_perm("training.add_question"),
            "can_change": request.user.has_perm("training.change_question"),
        },
    )


def _question_data(form: QuestionForm, code: str) -> services.QuestionData:
    d = form.cleaned_data
    return services.QuestionData(
        code=code,
        kind=d["kind"],
        stem=d["stem"],
        options=d["options"],
        answer=d["answer"],
        topic=d["topic"],
        explanation=d["explanation"],
        rule_article=d["rule_article"],
        difficulty=d["difficulty"],
    )


def _question_form_page(
    request: HttpRequest, form: QuestionForm, question: Question | None, status: int
) -> HttpResponse:
    return render(
        request,
        "training/question_form.html",
        {"form": form, "question": question},
        status=status,
    )


@login_required
@permission_required("training.add_question", raise_exception=True)
def question_new(request: HttpRequest) -> HttpResponse:
    form = QuestionForm(request.POST or None)
    if request.method != "POST":
        return _question_form_page(request, form, None, 200)
    if not form.is_valid():
        return _question_form_page(request, form, None, 400)
    try:
        services.question_create(
            actor=request.user, data=_question_data(form, form.cleaned_data["code"])
        )
    except DomainError as exc:
        form_error(form, exc)
        return _question_form_page(request, form, None, domain_status(exc))
    messages.success(request, _("试题已加入题库。"))
    return redirect("training:questions")


@login_required
@permission_required("training.change_question", raise_exception=True)
def question_revise(request: HttpRequest, pk: int) -> HttpResponse:
    question = Question.objects.filter(pk=pk).first()
    if question is None:
        raise Http404
    form = QuestionForm(
        request.POST or None, editing=True, initial=QuestionForm.initial_for(question)
    )
    if request.method != "POST":
        return _question_form_page(request, form, question, 200)
    if not form.is_valid():
        return _question_form_page(request, form, question, 400)
    try:
        services.question_revise(
            actor=request.user, question=question, data=_question_data(form, question.code)
        )
    except DomainError as exc:
        if domain_status(exc) != 400:
            return _refused(request, exc, reverse("training:questions"))
        form_error(form, exc)
        return _question_form_page(request, form, question, 400)
    messages.success(request, _("试题已修订为新版本，原版本已停用。"))
    return redirect("training:questions")


@login_required
@require_POST
def question_retire(request: HttpRequest, pk: int) -> HttpResponse:
    question = Question.objects.filter(pk=pk).first()
    if question is None:
        raise Http404
    target = reverse("training:questions")
    try:
        services.question_retire(actor=request.user, question=question)
    except DomainError as exc:
        return _refused(request, exc, target)
    messages.success(request, _("试题已停用，已出过的试卷不受影响。"))
    return redirect(target)
