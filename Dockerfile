FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var
WORKDIR /app
COPY pyproject.toml README.md ./
COPY scheduler_project scheduler_project
COPY tasks_app tasks_app
COPY api_app api_app
COPY manage.py Procfile ./
RUN pip install --no-cache-dir . && python manage.py collectstatic --no-input -v0
EXPOSE 8000 50051
CMD ["gunicorn", "scheduler_project.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4"]
