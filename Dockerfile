# Trampoline service image: `docker build -t trampoline .` then `docker run -p 8080:8080 trampoline`.
# /healthz (alive), /readyz (database reachable and migrated) and /metrics (Prometheus) are served on 8080.
# The web simulator is off in the image, because the container listens on every address; to try the bot
# locally: `docker run -p 127.0.0.1:8080:8080 -e TRAMPOLINE_SIMULATOR=on trampoline`, then open /simulator.
# Build stage: install the package and its dependencies into a virtual environment.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /venv
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
RUN /venv/bin/pip install .

# Run stage: the virtual environment, the data folders, and a user without privileges.
FROM python:3.11-slim
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TRAMPOLINE_HOST=0.0.0.0 \
    TRAMPOLINE_PORT=8080 \
    TRAMPOLINE_SIMULATOR=off
# Pango (WeasyPrint's layout, for `trampoline invite sheet`), the Noto fonts of the eleven languages' scripts
# (the invite sheet and the summary's chart) and libfribidi0 (Pillow shapes Arabic script in the chart).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-core fonts-dejavu-core \
       libfribidi0 \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 trampoline
COPY --from=build /venv /venv
WORKDIR /app
COPY migrations ./migrations
COPY conversations ./conversations
COPY locales ./locales
RUN mkdir -p /app/var && chown trampoline:trampoline /app/var
USER trampoline
VOLUME ["/app/var"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/readyz')"
# SIGTERM: stop claiming, finish what is in flight, exit 0 (docs/operations.md).
STOPSIGNAL SIGTERM
CMD ["trampoline", "run"]
