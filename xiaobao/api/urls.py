from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from xiaobao.api import views, views_metrics, views_privacy
from xiaobao.governance import api as governance_api
from xiaobao.plans import api as plans_api

app_name = "api"

router = DefaultRouter()
# One URL per resource: `.json` suffix variants would double every path in the schema.
router.include_format_suffixes = False
router.register("complaints", views.ComplaintViewSet, basename="complaint")
router.register("taxonomies", views.TaxonomyViewSet, basename="taxonomy")
router.register("units", views.UnitViewSet, basename="unit")
router.register(
    "privacy-requests", views_privacy.DataSubjectRequestViewSet, basename="privacy-request"
)
router.register("governance/meetings", governance_api.MeetingViewSet, basename="meeting")
router.register("governance/rules", governance_api.RuleViewSet, basename="rule")
router.register("plans", plans_api.PlanViewSet, basename="plan")
router.register("tasks", plans_api.TaskViewSet, basename="task")

urlpatterns: list[URLPattern | URLResolver] = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", views.docs, name="docs"),
    path("outreach/", include("xiaobao.outreach.api_urls")),
    path("partners/", include("xiaobao.partners.api_urls")),  # partners
    path("metrics/", views_metrics.MetricListView.as_view(), name="metrics"),
    path("metrics/<str:key>/", views_metrics.MetricValueView.as_view(), name="metric"),
    path("inspections/", include("xiaobao.inspections.api_urls")),  # inspections
    path("products/", include("xiaobao.products.api_urls")),  # products
    path("", include(router.urls)),
    path("assessment/", include("xiaobao.assessment.api_urls")),  # assessment
    path("training/", include("xiaobao.training.api_urls")),  # training
]
