from django.contrib import admin

from xiaobao.assessment.models import Element, Indicator, Scheme


class ElementInline(admin.TabularInline):
    model = Element
    extra = 0


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "year", "kind", "version", "status", "is_example")
    list_filter = ("kind", "status", "year")
    inlines = (ElementInline, IndicatorInline)
