from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api_app.envelopes import unrouted_patterns
from api_app.health import healthz
from api_app.metrics import MetricsView
from api_app.routing import endpoint
from tasks_app.admin.servers import servers_view

urlpatterns = [
    path("admin/servers/", admin.site.admin_view(servers_view), name="admin-servers"),
    path("admin/", admin.site.urls),
    endpoint("healthz", healthz, name="healthz"),
    endpoint("metrics", MetricsView.as_view(), name="metrics"),
    endpoint("api/schema", SpectacularAPIView.as_view(), name="schema"),
    endpoint("api/docs", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/v1/", include("api_app.v1.urls")),
    path("xtimer/", include("api_app.xtimer.urls")),
    path("", include("api_app.dispatch.urls")),
    path("api/queues/", include("api_app.queues.urls")),
    path("crontab/", include("api_app.crontab.urls")),
    path("api/hangfire/", include("api_app.hangfire.urls")),
    *unrouted_patterns(),  # last: any other path under a dialect's prefix, in its envelope
]
