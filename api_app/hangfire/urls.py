from __future__ import annotations

from api_app.hangfire.serializers import EnqueueTaskSerializer, ScheduleSecondTaskSerializer, ScheduleTaskSerializer
from api_app.hangfire.views import TaskProducerView
from api_app.routing import endpoint

# endpoint: (request shape, forwards to the message's route instead of the consumer)
ENDPOINTS = {
    "enqueue": (EnqueueTaskSerializer, False),
    "schedule": (ScheduleTaskSerializer, False),
    "schedulesecond": (ScheduleSecondTaskSerializer, False),
    "enqueuetransfor": (EnqueueTaskSerializer, True),
    "scheduletransfor": (ScheduleTaskSerializer, True),
    "schedulesecondtransfor": (ScheduleSecondTaskSerializer, True),
}

urlpatterns = [
    endpoint(name, TaskProducerView.as_view(serializer_class=shape, endpoint=name, transfer=transfer), name=f"hangfire-{name}")
    for name, (shape, transfer) in ENDPOINTS.items()
]
