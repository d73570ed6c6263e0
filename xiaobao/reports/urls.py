from django.urls import URLPattern, URLResolver, path

from xiaobao.reports import views

app_name = "reports"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard, name="dashboard"),
    path("causes/", views.causes, name="causes"),
    path("units/", views.units, name="units"),
    path("timeliness/", views.timeliness, name="timeliness"),
    path("explore/", views.explore, name="explore"),
    path("workbook/", views.workbook, name="workbook"),
    path("summary/", views.summary, name="summary"),
    path("files/", views.files, name="files"),
    path("files/<int:pk>/download/", views.file_download, name="file_download"),
    path("typical/", views.typical_list, name="typical_list"),
    path("typical/new/", views.typical_new, name="typical_new"),
    path("typical/<int:pk>/", views.typical_detail, name="typical_detail"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert_detail"),
    path("alerts/<int:pk>/action/", views.alert_action, name="alert_action"),
    path("alerts/<int:pk>/notice.docx", views.alert_notice_download, name="alert_notice"),
]
