# Build stage: the release binary, linked against libpq, SQLite and OpenSSL.
FROM rust:1-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev libsqlite3-dev libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src

# Dependencies first, in a layer of their own: the manifests and empty
# crates, built once, so a change to dcr's code rebuilds only dcr's crates.
# Every target a manifest names must exist for Cargo to read it.
COPY Cargo.toml Cargo.lock ./
COPY crates/dcr-core/Cargo.toml crates/dcr-core/
COPY crates/dcr-store/Cargo.toml crates/dcr-store/
COPY crates/dcr-server/Cargo.toml crates/dcr-server/
RUN for crate in dcr-core dcr-store dcr-server; do \
        mkdir -p crates/$crate/src && touch crates/$crate/src/lib.rs; \
    done \
    && echo 'fn main() {}' > crates/dcr-server/src/main.rs \
    && mkdir -p crates/dcr-core/benches crates/dcr-store/tests/store crates/dcr-server/tests/api tests/e2e \
    && touch crates/dcr-core/benches/validation.rs crates/dcr-store/tests/store/main.rs \
             crates/dcr-server/tests/api/main.rs tests/e2e/main.rs \
    && cargo build --release --locked -p dcr-server \
    && rm -rf crates tests \
              target/release/.fingerprint/dcr-* target/release/deps/dcr_* target/release/deps/libdcr_*

# Then dcr itself.
COPY . .
RUN cargo build --release --locked -p dcr-server \
    && cp target/release/dcr-server /usr/local/bin/dcr-server

# Runtime stage: the binary and its client libraries, run as a non-root user.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 libsqlite3-0 libssl3 ca-certificates \
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
# No curl in the image: the binary asks its own /readyz at DCR_BIND.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["dcr-server", "healthcheck"]
ENTRYPOINT ["dcr-server"]
