from django.urls import path

from xiaobao.partners import views

app_name = "partners"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.partner_new, name="partner_new"),
    path("<int:pk>/", views.partner_detail, name="partner"),
    path("<int:pk>/edit/", views.partner_edit, name="partner_edit"),
    path("<int:pk>/<str:name>/", views.partner_action, name="partner_action"),
    path("agreements/<int:pk>/<str:name>/", views.agreement_action, name="agreement_action"),
    path("evaluations/<int:pk>/", views.evaluation_detail, name="evaluation"),
    path("evaluations/<int:pk>/conclude/", views.evaluation_conclude, name="evaluation_conclude"),
    path("exits/<int:pk>/", views.exit_detail, name="exit"),
    path("exits/<int:pk>/confirm/", views.exit_confirm, name="exit_confirm"),
    path("exits/<int:pk>/complete/", views.exit_complete, name="exit_complete"),
    path("case/<int:pk>/link/", views.case_link, name="case_link"),
]
