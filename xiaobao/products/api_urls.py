from rest_framework.routers import DefaultRouter

from xiaobao.products import api

router = DefaultRouter()
router.include_format_suffixes = False
router.register("reviews", api.ReviewViewSet, basename="products-review")
router.register("register", api.ProductViewSet, basename="products-product")
router.register("risk-profiles", api.RiskProfileViewSet, basename="products-profile")
router.register("sale-checks", api.SaleCheckViewSet, basename="products-salecheck")

urlpatterns = router.urls
