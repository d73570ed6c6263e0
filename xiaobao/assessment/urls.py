from django.urls import path

from xiaobao.assessment import views

app_name = "assessment"
urlpatterns = [
    path("", views.index, name="index"),
    path("self/", views.self_assessment, name="self"),
    path("mine/", views.my_results, name="mine"),
    path("schemes/new/", views.scheme_new, name="scheme_new"),
    path("schemes/<int:pk>/elements/", views.element_new, name="element_new"),
    path("schemes/<int:pk>/indicators/", views.indicator_new, name="indicator_new"),
    path("schemes/load/", views.scheme_load, name="scheme_load"),
    path("schemes/<int:pk>/", views.scheme_detail, name="scheme"),
    path("schemes/<int:pk>/advance/", views.scheme_advance, name="scheme_advance"),
    path("schemes/<int:pk>/run/", views.run_new, name="run_new"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/advance/", views.run_advance, name="run_advance"),
    path("runs/<int:pk>/refresh/", views.run_refresh, name="run_refresh"),
    path("runs/<int:pk>/correct/", views.run_correct, name="run_correct"),
    path("runs/<int:pk>/score/", views.score_set, name="score_set"),
    path("runs/<int:pk>/evidence/", views.score_evidence, name="score_evidence"),
    path("runs/<int:pk>/gap/", views.gap_task, name="gap_task"),
    path("runs/<int:pk>/appeal/", views.appeal_file, name="appeal_file"),
    path("runs/<int:pk>/decide/", views.appeal_decide, name="appeal_decide"),
    path("runs/<int:pk>/hr.xlsx", views.run_hr_export, name="run_hr"),
    path("runs/<int:pk>/report.docx", views.run_report, name="run_report"),
]
