# One copy of the code: the dependencies are installed from pyproject.toml, the code is copied to
# /app and imported from there (PYTHONPATH), never installed a second time into site-packages.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PYTHONPATH=/app VAR_DIR=/app/var
WORKDIR /app
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt && rm /tmp/requirements.txt
COPY manage.py Procfile ./
COPY scheduler_project scheduler_project
COPY tasks_app tasks_app
COPY api_app api_app
RUN python manage.py collectstatic --no-input -v0 \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin app && chown -R app /app/var
# Numeric, so Kubernetes can check runAsNonRoot against it.
USER 10001
EXPOSE 8000 50051
CMD ["gunicorn", "scheduler_project.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4"]
