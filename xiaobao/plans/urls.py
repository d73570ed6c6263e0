from django.urls import path

from xiaobao.plans import views

app_name = "plans"

urlpatterns = [
    path("", views.plan_list, name="list"),
    path("<int:pk>/", views.plan_detail, name="plan"),
    path("<int:pk>/plan.docx", views.plan_export, name="export"),
    path("<int:pk>/<slug:action>/", views.plan_action, name="plan_action"),
    path("tasks/", views.my_tasks, name="mine"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/<slug:action>/", views.task_action, name="task_action"),
]
