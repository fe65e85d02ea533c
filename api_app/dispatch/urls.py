"""The dispatch dialect's paths, as its clients call them (each also with a trailing slash)."""

from __future__ import annotations

from api_app.dispatch.views import AddView, DeleteView, PauseView, ResumeView, TriggerView, UpdateTaskLogView
from api_app.routing import endpoint

urlpatterns = [
    endpoint("dispatchserver/add.do", AddView.as_view(), name="dispatch-add"),
    endpoint("dispatchserver/pause.do", PauseView.as_view(), name="dispatch-pause"),
    endpoint("dispatchserver/resumeTask.do", ResumeView.as_view(), name="dispatch-resume"),
    endpoint("dispatchserver/delete.do", DeleteView.as_view(), name="dispatch-delete"),
    endpoint("dispatchserver/trigger.do", TriggerView.as_view(), name="dispatch-trigger"),
    endpoint("taskcallback/updateTaskLog", UpdateTaskLogView.as_view(), name="dispatch-update-task-log"),
]
