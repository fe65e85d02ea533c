"""The crontab dialect: typed tasks in batches, regexp-checked callbacks, retries (seed 002)."""
