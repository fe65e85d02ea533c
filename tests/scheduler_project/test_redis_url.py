"""REDIS_URL naming a Sentinel set: one reading for the broker and for the platform's client."""

from __future__ import annotations

import pytest

from scheduler_project.redis_url import SentinelSet, is_sentinel_url, parse_sentinel_url


def test_kombus_list_of_sentinels_with_the_master_named_in_the_query() -> None:
    parsed = parse_sentinel_url("sentinel://:s3cret@sentinel-1:26379/2;sentinel://sentinel-2:26380/2?master=jobs")
    assert parsed == SentinelSet(sentinels=(("sentinel-1", 26379), ("sentinel-2", 26380)), master_name="jobs", db=2, password="s3cret")


def test_the_broker_gets_every_sentinel_with_the_masters_password_and_database() -> None:
    parsed = parse_sentinel_url("sentinel://:pw@a:1/3;sentinel://b?master=m&sentinel_password=sp")
    assert parsed.broker_url() == "sentinel://:pw@a:1/3;sentinel://:pw@b:26379/3"
    assert parsed.broker_transport_options() == {"master_name": "m", "sentinel_kwargs": {"password": "sp"}}


def test_only_sentinel_urls_are_sentinel_sets() -> None:
    assert is_sentinel_url("sentinel://a:26379?master=m")
    assert not is_sentinel_url("redis://127.0.0.1:6379/0")


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("sentinel://a:26379/0", "names its master"),
        ("sentinel://a:26379/0;redis://b:6379?master=m", "every part"),
        ("sentinel://a:port/0?master=m", "port is not a number"),
        ("sentinel://:pw@a:26379/zero?master=m", "database is a number"),
        ("sentinel:///0?master=m", "without a host"),
    ],
)
def test_a_malformed_sentinel_url_says_what_is_wrong_without_its_password(url: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint) as raised:
        parse_sentinel_url(url)
    assert "pw" not in str(raised.value)
