from rest_framework.routers import DefaultRouter

from xiaobao.assessment import api

router = DefaultRouter()
router.include_format_suffixes = False
router.register("schemes", api.SchemeViewSet, basename="assessment-scheme")
router.register("runs", api.RunViewSet, basename="assessment-run")
router.register("appeals", api.AppealViewSet, basename="assessment-appeal")

urlpatterns = router.urls
