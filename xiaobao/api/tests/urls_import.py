"""The project's URLs plus the two import lines the complaints URLconf is asked to add."""

from django.urls import include, path

from xiaobao.api import views_import
from xiaobao.complaints import urls as complaints_urls
from xiaobao.urls import urlpatterns as project

complaints = (
    [
        *complaints_urls.urlpatterns,
        path("import/", views_import.import_page, name="import"),
        path("import/report.csv", views_import.import_report, name="import_report"),
    ],
    "complaints",
)
urlpatterns = [
    *(p for p in project if getattr(p, "namespace", None) != "complaints"),
    path("complaints/", include(complaints)),
]
