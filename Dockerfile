# faircat: catalogue, portal, OAI-PMH and PaNOSC API behind gunicorn, as a non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    FAIRCAT_INSTANCE_PATH=/var/lib/faircat/instance FAIRCAT_SITE_DIR=/var/lib/faircat/site

RUN useradd --system --create-home --home-dir /var/lib/faircat --uid 10001 faircat
WORKDIR /opt/faircat
COPY pyproject.toml README.md ./
COPY faircat ./faircat
RUN pip install '.[postgres]'

USER faircat
WORKDIR /var/lib/faircat
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
# Migrations are explicit (`docker run IMAGE faircat db upgrade`): several replicas must not race.
CMD ["faircat", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--threads", "4"]
