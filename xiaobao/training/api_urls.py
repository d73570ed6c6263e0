from django.urls import path
from rest_framework.routers import DefaultRouter

from xiaobao.training import api

router = DefaultRouter()
router.include_format_suffixes = False
router.register("courses", api.CourseViewSet, basename="training-course")
router.register("sessions", api.SessionViewSet, basename="training-session")
router.register("attendance", api.AttendanceViewSet, basename="training-attendance")
router.register("questions", api.QuestionViewSet, basename="training-question")
router.register("exams", api.ExamViewSet, basename="training-exam")
router.register("attempts", api.AttemptViewSet, basename="training-attempt")
router.register("contests", api.ContestViewSet, basename="training-contest")
router.register("qualifications", api.QualificationViewSet, basename="training-qualification")

urlpatterns = [
    path("coverage/", api.CoverageView.as_view(), name="training-coverage"),
    *router.urls,
]
