"""The Prometheus exposition: one collector that reads the shared counters from Redis and the
gauges from indexed queries, whichever web process is scraped. Nothing scans a whole table:
job counts read the partial indexes of each state, channel depths the ready index."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from tasks_app.metrics import counters, depths, liveness
from tasks_app.models import Job

Buckets = list[tuple[str, float]]


def _histograms(name: str) -> dict[str, tuple[Buckets, float]]:
    """{label: (cumulative buckets, sum)} from the stored per-bucket counts."""
    stored: dict[str, dict[str, float]] = defaultdict(dict)
    for field, value in counters.read(name).items():
        label, _, bucket = field.rpartition(counters.SEP)
        stored[label][bucket] = float(value)
    result = {}
    for label, values in stored.items():
        running, buckets = 0.0, []
        for bound in [*map(repr, counters.BUCKETS), "+Inf"]:
            running += values.get(bound, 0.0)
            buckets.append((bound, running))
        result[label] = (buckets, values.get("sum", 0.0))
    return result


def _executions() -> Metric:
    family = CounterMetricFamily("jobplatform_executions", "Attempts that ended, by outcome.", labels=["outcome", "dialect", "namespace"])
    for field, value in counters.read(counters.EXECUTIONS).items():
        family.add_metric(field.split(counters.SEP), float(value))
    return family


def _lateness() -> Metric:
    family = HistogramMetricFamily("jobplatform_fire_lateness_seconds", "When calls began, minus when they were due.")
    for buckets, total in _histograms(counters.LATENESS).values():
        family.add_metric([], buckets, total)
    return family


def _durations() -> Metric:
    family = HistogramMetricFamily("jobplatform_callback_duration_seconds", "How long callbacks took, by kind.", labels=["kind"])
    for kind, (buckets, total) in sorted(_histograms(counters.DURATION).items()):
        family.add_metric([kind], buckets, total)
    return family


def _jobs() -> Metric:
    family = GaugeMetricFamily("jobplatform_jobs", "Jobs by state.", labels=["state"])
    enabled = Job.objects.filter(enabled=True)
    family.add_metric(["scheduled"], enabled.filter(next_fire_at__isnull=False).count())
    family.add_metric(["paused"], Job.objects.filter(enabled=False).count())
    family.add_metric(["finished"], enabled.filter(next_fire_at__isnull=True).count())
    return family


def _queues() -> Metric:
    family = GaugeMetricFamily("jobplatform_queue_depth", "Messages or tasks waiting, by queue.", labels=["queue", "kind"])
    for depth in depths.celery_queue_depths() + depths.channel_depths():
        family.add_metric([depth.queue, depth.kind], depth.depth)
    return family


def _alive(role: str) -> Metric:
    return GaugeMetricFamily(
        f"jobplatform_{role}s_alive", f"{role.capitalize()} processes with a fresh heartbeat.", value=liveness.alive(role)
    )


class PlatformCollector:
    def collect(self) -> Iterator[Metric]:
        yield from (_executions(), _lateness(), _durations(), _jobs(), _queues(), _alive("worker"), _alive("beat"))


def render() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PlatformCollector())  # type: ignore[arg-type]
    return generate_latest(registry)
