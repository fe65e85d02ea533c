"""CronTrigger tasks fire when Quartz would fire them: next fire times against a calendar oracle."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import pytest

from tasks_app.models import Job
from tasks_app.triggers import stored_trigger
from tests.api_app.dispatch.wire import ADD, add_body, cron_task, send

pytestmark = pytest.mark.django_db
START = datetime(2031, 1, 1, tzinfo=UTC)
MONTHS = [(2031, month) for month in range(1, 13)]


def fire_times(api, cron: str, count: int, **extra: object) -> list[datetime]:
    """Add a task with ``cron`` from START and walk its first ``count`` fire times."""
    response = send(api, ADD, add_body(cron_task(cron, startDate=START.isoformat(), **extra)))
    assert response.status_code == 200, response.json()
    job = Job.objects.get(dialect="dispatch")
    trigger, moments = stored_trigger(job.trigger), [job.next_fire_at]
    while len(moments) < count and moments[-1] is not None:
        moments.append(trigger.next_fire(moments[-1], len(moments)))
    return moments


def weekdays_of(year: int, month: int, weekday: int) -> list[int]:
    return [day for day in range(1, calendar.monthrange(year, month)[1] + 1) if date(year, month, day).weekday() == weekday]


def last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def nearest_weekday(year: int, month: int, day: int) -> int:
    """Quartz's W, independently: Saturday -> Friday (or Monday on the 1st), Sunday -> Monday
    (or Friday on the last day)."""
    weekday = date(year, month, day).weekday()
    if weekday == 5:
        return day + 2 if day == 1 else day - 1
    if weekday == 6:
        return day - 2 if day == last_day(year, month) else day + 1
    return day


def monthly(day_of: Callable[[int, int], int], at: time) -> list[datetime]:
    return [datetime.combine(date(year, month, day_of(year, month)), at, tzinfo=UTC) for year, month in MONTHS]


MONDAY, FRIDAY, SUNDAY = 0, 4, 6
CASES = {
    "third Friday": ("0 0 10 ? * 6#3", monthly(lambda y, m: weekdays_of(y, m, FRIDAY)[2], time(10))),
    "second Monday": ("0 0 8 ? * 2#2", monthly(lambda y, m: weekdays_of(y, m, MONDAY)[1], time(8))),
    "second Sunday by name": ("0 0 8 ? * SUN#2", monthly(lambda y, m: weekdays_of(y, m, SUNDAY)[1], time(8))),
    "last Friday": ("0 15 10 ? * 6L", monthly(lambda y, m: weekdays_of(y, m, FRIDAY)[-1], time(10, 15))),
    "last day": ("0 30 9 L * ?", monthly(last_day, time(9, 30))),
    "third-to-last day": ("0 0 12 L-3 * ?", monthly(lambda y, m: last_day(y, m) - 3, time(12))),
    "last weekday": ("0 0 18 LW * ?", monthly(lambda y, m: nearest_weekday(y, m, last_day(y, m)), time(18))),
    "weekday nearest the 15th": ("0 0 12 15W * ?", monthly(lambda y, m: nearest_weekday(y, m, 15), time(12))),
    "weekday nearest the 1st": ("0 0 12 1W * ?", monthly(lambda y, m: nearest_weekday(y, m, 1), time(12))),
}


@pytest.mark.parametrize(("cron", "expected"), CASES.values(), ids=CASES.keys())
def test_monthly_quartz_crons_fire_on_the_right_days(api, cron: str, expected: list[datetime]) -> None:
    assert fire_times(api, cron, 12) == expected


def test_day_of_week_numbers_from_sunday(api) -> None:
    moments = fire_times(api, "0 0 12 ? * 1,7", 4)
    assert [m.strftime("%a %d") for m in moments] == ["Sat 04", "Sun 05", "Sat 11", "Sun 12"]


def test_every_twenty_minutes_on_weekday_mornings(api) -> None:
    moments = fire_times(api, "0 0/20 8 ? * MON-FRI", 7)
    first_day = [datetime(2031, 1, 1, 8, minute, tzinfo=UTC) for minute in (0, 20, 40)]
    second_day = [moment + timedelta(days=1) for moment in first_day]  # 1 January 2031 is a Wednesday
    assert moments == first_day + second_day + [datetime(2031, 1, 3, 8, 0, tzinfo=UTC)]


def test_seconds_field(api) -> None:
    assert fire_times(api, "15,45 * * * * ?", 3) == [START + timedelta(seconds=s) for s in (15, 45, 75)]


def test_year_field_ends_the_task(api) -> None:
    moments = fire_times(api, "0 0 12 1 JAN ? 2031-2032", 3)
    assert moments == [datetime(2031, 1, 1, 12, tzinfo=UTC), datetime(2032, 1, 1, 12, tzinfo=UTC), None]


def test_end_date_ends_the_task(api) -> None:
    moments = fire_times(api, "0 0 10 ? * 6#3", 4, endDate=int(datetime(2031, 3, 1, tzinfo=UTC).timestamp() * 1000))
    assert moments == [datetime(2031, 1, 17, 10, tzinfo=UTC), datetime(2031, 2, 21, 10, tzinfo=UTC), None]
