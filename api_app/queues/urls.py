from __future__ import annotations

from api_app.queues.views import METHODS, ReceiveView, method_view
from api_app.routing import endpoint

# A path per method; any other path under /api/queues/ is answered by api_app.envelopes.
urlpatterns = [
    endpoint("ReceiveQueueByChannel", ReceiveView.as_view(), name="queues-receive"),
    *(endpoint(name, method_view(name).as_view(), name=f"queues-{name}") for name in METHODS),
]
