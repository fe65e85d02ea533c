from __future__ import annotations

from api_app.crontab.views import AddTaskView, QueryTaskStatusView, RunAgainTaskView, UpdateTaskView
from api_app.routing import endpoint

urlpatterns = [
    endpoint("add_task", AddTaskView.as_view(), name="crontab-add-task"),
    endpoint("update_task", UpdateTaskView.as_view(), name="crontab-update-task"),
    endpoint("query_task_status", QueryTaskStatusView.as_view(), name="crontab-query-task-status"),
    endpoint("run_again_task", RunAgainTaskView.as_view(), name="crontab-run-again-task"),
]
