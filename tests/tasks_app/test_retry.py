from __future__ import annotations

import pytest

from tasks_app.exceptions import InvalidInput
from tasks_app.retry import RetryPolicy


def test_list_of_delays() -> None:
    policy = RetryPolicy.from_json({"delays_seconds": [2, 4, 8]})
    assert [policy.delay_before(attempt) for attempt in (2, 3, 4, 5)] == [2, 4, 8, None]


def test_exponential_backoff_with_a_cap() -> None:
    policy = RetryPolicy.from_json({"max_attempts": 5, "backoff_seconds": 1, "max_backoff_seconds": 5})
    assert [policy.delay_before(attempt) for attempt in (2, 3, 4, 5, 6)] == [1, 2, 4, 5, None]


def test_no_policy_means_no_retry() -> None:
    assert RetryPolicy.from_json(None).delay_before(2) is None
    assert RetryPolicy.from_json({}).delay_before(2) is None


@pytest.mark.parametrize("data", [{"delays_seconds": [1, "x"]}, {"max_attempts": 0}, {"delays_seconds": 3}, {"tries": 3}, []])
def test_bad_policies(data: object) -> None:
    with pytest.raises(InvalidInput):
        RetryPolicy.from_json(data)
