from django.urls import path

from xiaobao.training import views

app_name = "training"
urlpatterns = [
    path("", views.index, name="index"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sessions/", views.sessions, name="sessions"),
    path("sessions/new/", views.session_new, name="session_new"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("sessions/<int:pk>/sign-in/", views.session_sign_in, name="session_sign_in"),
    path("sessions/<int:pk>/exam/", views.exam_new, name="exam_new"),
    path("sessions/<int:pk>/to/<str:to>/", views.session_advance, name="session_advance"),
    path("attendance/<int:pk>/", views.attendance_mark, name="attendance_mark"),
    path("exams/<int:pk>/", views.exam_detail, name="exam"),
    path("exams/<int:pk>/start/", views.exam_start, name="exam_start"),
    path("attempts/<int:pk>/", views.attempt_detail, name="attempt"),
    path("attempts/<int:pk>/correct/", views.attempt_correct, name="attempt_correct"),
    path("coverage/", views.coverage, name="coverage"),
    path("qualifications/", views.qualifications, name="qualifications"),
    path("contests/", views.contests, name="contests"),
    path("contests/<int:pk>/", views.contest_detail, name="contest"),
    path("staff/", views.staff_list, name="staff"),
    path("staff/<int:pk>/", views.staff_edit, name="staff_edit"),
    path("plans/", views.plans, name="plans"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("plans/<int:pk>/submit/", views.plan_submit, name="plan_submit"),
    path("plans/<int:pk>/approve/", views.plan_approve, name="plan_approve"),
    path("plans/<int:pk>/return/", views.plan_return, name="plan_return"),
    path("courses/", views.courses, name="courses"),
    path("courses/new/", views.course_new, name="course_new"),
    path("courses/<int:pk>/", views.course_edit, name="course_edit"),
    path("questions/", views.questions, name="questions"),
    path("questions/new/", views.question_new, name="question_new"),
    path("questions/<int:pk>/", views.question_revise, name="question_revise"),
    path("questions/<int:pk>/retire/", views.question_retire, name="question_retire"),
]
