# Build stage: the release binary, linked against libpq and SQLite.
FROM rust:1-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev libsqlite3-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p dcr-server \
    && cp target/release/dcr-server /usr/local/bin/dcr-server

# Runtime stage: the binary and the two client libraries, run as a non-root user.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 libsqlite3-0 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/dcr --create-home dcr
COPY --from=build /usr/local/bin/dcr-server /usr/local/bin/dcr-server
USER dcr
WORKDIR /var/lib/dcr
# Without DCR_DATABASE_URL the container keeps an embedded SQLite file here.
# Listening beyond loopback, dcr requires DCR_PUBLIC_URL, the URL clients
# reach it at, and exits naming the variable without it. Pass it at run time:
#   docker run -e DCR_PUBLIC_URL=https://auth.example.com -p 8080:8080 dcr
ENV DCR_BIND=0.0.0.0:8080
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["dcr-server"]
