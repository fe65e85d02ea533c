from __future__ import annotations

from django.urls import re_path

from api_app.queues.views import MethodView, ReceiveView
from api_app.routing import endpoint

urlpatterns = [
    endpoint("ReceiveQueueByChannel", ReceiveView.as_view(), name="queues-receive"),
    re_path(r"^(?P<method>[A-Za-z]+)/?$", MethodView.as_view(), name="queues-method"),
]
