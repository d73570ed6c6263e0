from django.urls import path

from xiaobao.inspections import views

app_name = "inspections"
urlpatterns = [
    path("", views.index, name="index"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("visits/<int:pk>/", views.visit_detail, name="visit"),
    path("visits/<int:pk>/record/", views.visit_record, name="visit_record"),
    path("visits/<int:pk>/<str:name>/", views.visit_action, name="visit_action"),
    path("findings/", views.findings, name="findings"),
    path("findings/<int:pk>/", views.finding_detail, name="finding"),
    path("findings/<int:pk>/<str:name>/", views.finding_action, name="finding_action"),
    path("figures/", views.figures, name="figures"),
    path("examinations/", views.examinations, name="examinations"),
    path("meetings/", views.meetings, name="meetings"),
    path("checklists/new/", views.checklist_new, name="checklist_new"),
    path("plans/new/", views.plan_new, name="plan_new"),
    path("examinations/new/", views.examination_new, name="examination_new"),
    path("meetings/new/", views.meeting_new, name="meeting_new"),
]
