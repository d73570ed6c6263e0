from django.urls import URLPattern, URLResolver, path

from xiaobao.portal import views

app_name = "portal"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("file/", views.file, name="file"),
    path("filed/", views.filed, name="filed"),
    path("track/", views.track, name="track"),
    path("case/", views.case, name="case"),
    path("case/review/", views.case_review, name="case_review"),
    path("case/rate/", views.case_rate, name="case_rate"),
    path("case/leave/", views.leave, name="leave"),
    path("text-size/", views.text_size, name="text_size"),
]
