from django.urls import URLPattern, URLResolver

app_name = "watch"
urlpatterns: list[URLPattern | URLResolver] = []
