from django.contrib import admin

from xiaobao.training.models import Course, Question


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "hours", "mandatory", "is_active")
    search_fields = ("code", "title")


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("code", "version", "kind", "topic", "difficulty", "is_active")
    list_filter = ("kind", "topic", "is_active")
    search_fields = ("code", "stem")
