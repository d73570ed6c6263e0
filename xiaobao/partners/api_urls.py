from rest_framework.routers import SimpleRouter

from xiaobao.partners import api

router = SimpleRouter()
router.include_format_suffixes = False
router.register("agreements", api.AgreementViewSet, basename="partners-agreement")
router.register("evaluations", api.EvaluationViewSet, basename="partners-evaluation")
router.register("exits", api.ExitViewSet, basename="partners-exit")
# The partners themselves at /api/v1/partners/ (registered last: ids are digits only).
router.register("", api.PartnerViewSet, basename="partners-partner")

urlpatterns = router.urls
