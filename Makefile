# The two commands: `make run` (the whole platform on embedded defaults) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Worker processes `make run` starts: one per core (each runs WORKER_CONCURRENCY threads).
WORKER_PROCESSES ?= 2

.PHONY: run test lint install migrate proto bench-execution bench-scheduler bench-console bench-queues bench-api chaos partition clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --no-input -v0

run: migrate
	$(PY) manage.py collectstatic --no-input -v0
	$(PY) manage.py bootstrap_local
	$(PY) manage.py write_env
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start -f Procfile -c worker=$(WORKER_PROCESSES)

# Starts the bundled Redis only for the run (when none answers) and stops it afterwards.
test: install
	$(PY) manage.py ensure_redis -- $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy scheduler_project tasks_app api_app

clean:
	rm -rf $(VENV) var

bench-scheduler: install
	$(PY) bench/scheduler.py $(BENCH_ARGS)

# Regenerate the gRPC stubs from api_app/grpc/standard.proto (they are committed). protoc writes a
# top-level import into the service module; the sed makes it relative to the package.
proto: install
	$(PY) -m grpc_tools.protoc -I api_app/grpc --python_out=api_app/grpc/generated --pyi_out=api_app/grpc/generated \
		--grpc_python_out=api_app/grpc/generated api_app/grpc/standard.proto
	sed -i 's/^import standard_pb2 as/from . import standard_pb2 as/' api_app/grpc/generated/standard_pb2_grpc.py

# Our execution path against stock Celery doing requests.post (see bench/execution.py). The
# receiver is Debian's nginx, its ceiling measured with wrk: both are installed when missing.
bench-execution: install
	command -v nginx >/dev/null && command -v wrk >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk >/dev/null)
	$(PY) manage.py ensure_redis
	$(PY) bench/execution.py $(BENCH_ARGS)

# Creating jobs through the web processes `make run` starts, driven by wrk (installed when missing).
bench-api: install
	command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)
	$(PY) manage.py ensure_redis
	$(PY) bench/api.py $(BENCH_ARGS)

bench-queues: install
	$(PY) manage.py ensure_redis
	$(PY) bench/queues.py $(BENCH_ARGS)

# The console's page times at 100k jobs / 1M executions (PostgreSQL; see bench/console.py).
bench-console: install
	$(PY) bench/console.py $(BENCH_ARGS)

# The platform through worker/beat SIGKILLs, Redis restarted empty and database outages, on its own
# Redis server and a PostgreSQL database named *chaos* (see bench/chaos.py; BENCH_ARGS to tune).
chaos: install
	$(PY) bench/chaos.py $(BENCH_ARGS)

# A network partition across two worker hosts (network namespaces, as root), each running a worker
# and a beat, on the bench's own PostgreSQL and Redis (see bench/partition.py).
partition: install
	command -v ip >/dev/null && command -v redis-server >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 redis-server postgresql >/dev/null)
	$(PY) bench/partition.py $(BENCH_ARGS)
