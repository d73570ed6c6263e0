from rest_framework.routers import DefaultRouter

from xiaobao.outreach import api

router = DefaultRouter()
router.include_format_suffixes = False
router.register("campaigns", api.CampaignViewSet, basename="outreach-campaign")
router.register("activities", api.ActivityViewSet, basename="outreach-activity")

urlpatterns = router.urls
