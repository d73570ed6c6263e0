from django.urls import URLPattern, URLResolver

app_name = "language"
urlpatterns: list[URLPattern | URLResolver] = []
