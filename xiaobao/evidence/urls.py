from django.urls import path

from xiaobao.evidence import views

app_name = "evidence"
urlpatterns = [path("<int:pk>/", views.download, name="download")]
