# quizbot: multi-stage build, slim runtime image, non-root user.
#   docker build -t quizbot .
#   docker run --env-file .env -v quizbot-data:/var/lib/quizbot quizbot
FROM rust:1.85-slim-bookworm AS build
WORKDIR /src
# The manifest names its bench targets and its workspace member (the
# stand-in Discord, a dev-dependency), so cargo wants them present.
COPY Cargo.toml Cargo.lock rustfmt.toml ./
COPY src src
COPY migrations migrations
COPY benches benches
COPY standin standin
RUN cargo build --release --locked -p quizbot --bin quizbot

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/quizbot --create-home quizbot
COPY --from=build /src/target/release/quizbot /usr/local/bin/quizbot
COPY data /usr/share/quizbot/data
# METRICS_ADDR serves /metrics and /healthz inside the container; to scrape
# from the host: -e METRICS_ADDR=0.0.0.0:9100 -p 127.0.0.1:9100:9100.
ENV QUIZBOT_DATA=/usr/share/quizbot/data \
    DATABASE_URL=sqlite:///var/lib/quizbot/quizbot.db \
    METRICS_ADDR=127.0.0.1:9100
# quizbot healthcheck asks /healthz (the image has no curl): healthy while
# the gateway is connected and the database answers. The start period
# covers DATABASE_WAIT_SECS' default of 120 s for a database still booting.
HEALTHCHECK --interval=30s --timeout=10s --start-period=150s --retries=3 \
    CMD ["/usr/local/bin/quizbot", "healthcheck"]
USER quizbot
WORKDIR /var/lib/quizbot
VOLUME ["/var/lib/quizbot"]
ENTRYPOINT ["/usr/local/bin/quizbot"]
CMD ["run"]
