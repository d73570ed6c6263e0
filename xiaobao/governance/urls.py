from django.urls import path

from xiaobao.governance import views

app_name = "governance"

urlpatterns = [
    path("meetings/", views.meeting_list, name="meetings"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/confirm/", views.meeting_confirm, name="meeting_confirm"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/<int:pk>/", views.rule_detail, name="rule"),
]
