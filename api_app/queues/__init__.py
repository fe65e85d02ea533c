"""The REST mirror of standard.Queues: `POST /api/queues/{Method}` in the proto's JSON mapping."""
