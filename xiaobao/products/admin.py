from django.contrib import admin

from xiaobao.products.models import ReviewRoute


@admin.register(ReviewRoute)
class ReviewRouteAdmin(admin.ModelAdmin):
    list_display = ("object_type", "reviewer")
