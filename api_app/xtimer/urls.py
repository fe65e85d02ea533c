"""xtimer's paths, as its clients call them (``creatTimer`` sic, and ``createTimer`` too)."""

from __future__ import annotations

from api_app.routing import endpoint
from api_app.xtimer import views

urlpatterns = [
    endpoint("creatTimer", views.CreateTimer.as_view(), name="xtimer-create"),
    endpoint("createTimer", views.CreateTimer.as_view(), name="xtimer-create-alias"),
    endpoint("enableTimer", views.EnableTimer.as_view(), name="xtimer-enable"),
    endpoint("unableTimer", views.UnableTimer.as_view(), name="xtimer-unable"),
    endpoint("delTimer", views.DeleteTimer.as_view(), name="xtimer-delete"),
    endpoint("getTimer", views.GetTimer.as_view(), name="xtimer-timer"),
    endpoint("getTimers", views.GetTimers.as_view(), name="xtimer-timers"),
    endpoint("getTimersByName", views.GetTimersByName.as_view(), name="xtimer-timers-by-name"),
    endpoint("getTasks", views.GetTasks.as_view(), name="xtimer-tasks"),
]
