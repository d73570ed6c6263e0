from django.urls import URLPattern, URLResolver, path

from xiaobao.language import views

app_name = "language"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.search, name="search"),
    path("suggest/", views.suggest_json, name="suggest"),
    path("duplicates/", views.duplicates_json, name="duplicates"),
]
