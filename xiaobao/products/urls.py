from django.urls import path

from xiaobao.products import views

app_name = "products"
urlpatterns = [
    path("", views.index, name="index"),
    path("reviews/new/", views.review_new, name="review_new"),
    path("reviews/<int:pk>/", views.review_detail, name="review"),
    path("reviews/<int:pk>/<str:name>/", views.review_action, name="review_action"),
    path("register/", views.products, name="products"),
    path("register/<int:pk>/", views.product_detail, name="product"),
    path("register/<int:pk>/complaints/", views.product_complaint, name="product_complaint"),
    path(
        "register/<int:pk>/readvice/<int:notice>/sent/", views.readvice_sent, name="readvice_sent"
    ),
    path("sale-checks/", views.sale_checks, name="sale_checks"),
]
