"""The worker's runtime: what a worker process's attempts run on (``runtime``: callback threads,
the start timer, the database thread, group commits, the HTTP transport), made and stopped by a
Celery bootstep, and what keeps the process working through outages (``health``).

Kept free of imports here: the gRPC server uses ``group_commit`` without a worker."""
