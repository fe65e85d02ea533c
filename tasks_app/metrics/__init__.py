"""Prometheus series, platform-wide: counters and histograms kept in Redis (every worker process
on every host adds to the same ones), gauges read from cheap indexed queries when scraped."""
