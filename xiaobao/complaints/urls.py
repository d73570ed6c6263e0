from django.urls import path

from xiaobao.complaints import views, views_calendar
from xiaobao.intake import views as views_import

app_name = "complaints"

urlpatterns = [
    path("", views.registry, name="registry"),
    path("mine/", views.my_work, name="mine"),
    path("follow-ups/", views.follow_up_list, name="follow_ups"),
    path("new/", views.register, name="register"),
    path("export.xlsx", views.registry_export, name="export"),
    path("import/", views_import.import_page, name="import"),
    path("import/<int:pk>/", views_import.import_run, name="import_run"),
    path("import/<int:pk>/report.csv", views_import.import_report, name="import_report"),
    path("calendar/", views_calendar.calendar_year, name="calendar"),
    path("saved-filters/", views.saved_filter_create, name="saved_filter_create"),
    path("person-lookup/", views.person_lookup, name="person_lookup"),
    path("saved-filters/<int:pk>/delete/", views.saved_filter_delete, name="saved_filter_delete"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/actions/<str:name>/", views.action, name="action"),
    path(
        "<int:pk>/extensions/<int:extension_pk>/", views.extension_decide, name="extension_decide"
    ),
    path("<int:pk>/reveal/", views.reveal, name="reveal"),
    path("<int:pk>/reveal-text/", views.text_reveal, name="text_reveal"),
    path("<int:pk>/letter/", views.letter, name="letter"),
    path("<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        views.attachment_download,
        name="attachment_download",
    ),
]
