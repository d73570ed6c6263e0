from django.contrib.auth import views as auth_views
from django.urls import path

from xiaobao.front import metrics_views, views
from xiaobao.organisation import views as org_views

app_name = "front"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="front/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics/", metrics_views.metric_library, name="metrics"),
    path("org/units/", org_views.unit_list, name="unit_list"),
    path("org/units/<str:code>/", org_views.unit_detail, name="unit_detail"),
    path("org/staff/", org_views.staff_list, name="staff_list"),
    path("org/responsible/", org_views.responsible_list, name="responsible_list"),
]
