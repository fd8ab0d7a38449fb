# A slim image that runs `homework-bot run` as a non-root user; data lives in /data.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 homework \
    && mkdir /data \
    && chown homework:homework /data

WORKDIR /app
# The README's install: the locked versions, checked by their hashes, then the bot itself
# with nothing more resolved (its dependencies are all in the lock).
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY conversations ./conversations
COPY storage ./storage
RUN pip install --no-deps --no-build-isolation .

USER homework
WORKDIR /data
VOLUME ["/data"]
# The key never lives in the data volume: ENCRYPTION_KEY, or a secret file (SECURITY.md).
ENV DATABASE_URL=sqlite+aiosqlite:////data/homework-bot.sqlite3 \
    ENCRYPTION_KEY_FILE=/run/secrets/encryption_key \
    ENCRYPTION_KEY_CREATE=false

CMD ["homework-bot", "run"]
