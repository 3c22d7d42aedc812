# One image for the web, worker and beat processes.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
# gettext's msgfmt compiles the translations (locale/*.po) into the .mo files Django reads.
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first (pyproject.toml names them, requirements.lock pins them), so code changes
# reuse the cached layer; the project itself runs from /app, not as an installed package.
COPY pyproject.toml requirements.lock README.md ./
RUN pip install -c requirements.lock .

COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --no-input \
    && SECRET_KEY=build-only python manage.py compilemessages --ignore '.venv' \
    && useradd --system --uid 1000 healthscore && chown -R healthscore /app
USER healthscore

EXPOSE 8000
CMD ["gunicorn", "healthscore.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
