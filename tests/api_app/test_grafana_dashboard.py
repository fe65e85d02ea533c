"""The shipped Grafana dashboard queries only series that /metrics serves."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tasks_app.metrics import exposition

SUFFIXES = {"counter": "_total", "histogram": "_bucket"}
DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "jobplatform.json"


@pytest.mark.django_db
def test_every_panel_reads_a_served_series(redis_client) -> None:
    families = list(text_string_to_metric_families(exposition.render().decode()))
    served = {family.name + SUFFIXES.get(family.type, "") for family in families}
    queried = {
        name
        for panel in json.loads(DASHBOARD.read_text())["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\bjobplatform_[a-z_]+", target["expr"])
    }
    assert queried and queried <= served, queried - served
