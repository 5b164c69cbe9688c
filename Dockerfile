# Netwerkcoach: the bot as an image. `docker compose up` runs it with PostgreSQL 16.
#
# Where flows/ and locales/ come from: bot/config.py looks for them beside the `bot/`
# package (PROJECT_ROOT). That is the checkout in development; after a normal
# (non-editable) `pip install .` the package lives in site-packages, where they are not.
# We install the package properly and point BOT_FLOWS_DIR / BOT_LOCALES_DIR at the copies
# in /app. The alternative, running the source tree from /app with PYTHONPATH, would leave
# two copies of `bot/` in the image, and which one runs would depend on the working
# directory. This way the image runs exactly the installed package and nothing else.

# --- build: install the package and its dependencies into a virtual environment --------
FROM python:3.11-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# README.md is the package's long description (pyproject.toml: readme), so the build needs it.
COPY pyproject.toml README.md ./
COPY bot ./bot
# The package and its runtime dependencies only; the dev extras stay out of the image.
RUN pip install --no-cache-dir .

# --- runtime ---------------------------------------------------------------------------
FROM python:3.11-slim

RUN groupadd --system --gid 10001 netwerkcoach \
    && useradd --system --uid 10001 --gid netwerkcoach --home-dir /app \
       --no-create-home --shell /usr/sbin/nologin netwerkcoach

COPY --from=build /opt/venv /opt/venv

WORKDIR /app
# Content, owned by root and read-only for the bot: what is committed is what runs
# (the bot reads the .po catalogs directly; no compiled .mo files are needed).
COPY flows ./flows
COPY locales ./locales
# For maintainers who run Alembic by hand; the bot migrates from code at start-up and in
# `python -m bot db upgrade` (bot/store/migrate.py), with the migrations inside the package.
COPY alembic.ini ./
# Only place the bot may write: the SQLite file when no DATABASE_URL is given, and the
# Matrix device's keys (made here so that a volume mounted on it belongs to the bot).
RUN mkdir -p /app/data/matrix && chown -R netwerkcoach:netwerkcoach /app/data

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    BOT_FLOWS_DIR=/app/flows \
    BOT_LOCALES_DIR=/app/locales \
    DATABASE_URL=sqlite:////app/data/netwerkcoach.db \
    MATRIX_STORE_DIR=/app/data/matrix \
    MPLCONFIGDIR=/tmp/matplotlib
# MPLCONFIGDIR: matplotlib (the network picture) keeps its font list there; the bot's home
# is read-only, and without it matplotlib warns at every start.

USER netwerkcoach

# The Telegram bot when TELEGRAM_BOT_TOKEN is set (docker-compose.yml passes .env).
CMD ["python", "-m", "bot", "run"]
