from django.urls import path

from xiaobao.outreach import views

app_name = "outreach"
urlpatterns = [
    path("", views.index, name="index"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/advance/", views.campaign_advance, name="campaign_advance"),
    path("campaigns/<int:pk>/report.xlsx", views.campaign_report, name="campaign_report"),
    path("activities/new/", views.activity_new, name="activity_new"),
    path("activities/<int:pk>/", views.activity_detail, name="activity"),
    path("activities/<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/evidence/", views.activity_evidence, name="activity_evidence"),
    path("activities/<int:pk>/complaint/", views.activity_complaint, name="activity_complaint"),
    path("activities/<int:pk>/<str:name>/", views.activity_action, name="activity_action"),
    path("materials/", views.materials, name="materials"),
]
