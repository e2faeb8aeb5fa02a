# pumptrack container image: pumptrackd (the service), pumptrack (the CLI) and pumptrack-agent (gateway / simulator).
# Multi-stage on Debian 12: the builder installs the build dependencies with scripts/setup and builds with CMake; the
# runtime stage holds only the shared libraries the three binaries link and runs as an unprivileged user.
#   docker build -t pumptrack:0.1.0 .
#   docker run --rm -p 50051:50051 -p 9464:9464 -v pumptrack-data:/var/lib/pumptrack pumptrack:0.1.0 \
#     --tls_cert=... --tls_key=... --tls_client_ca=...        (or --insecure for a local trial)

FROM debian:12-slim AS build
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
# scripts/setup first, so the dependency layer is reused while only sources change.
COPY scripts/setup scripts/setup
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates >/dev/null \
    && scripts/setup && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPUMPTRACK_BUILD_TESTS=OFF \
    && cmake --build build -j"$(nproc)" --target pumptrackd pumptrack pumptrack-agent \
    && install -D -m 0755 -s build/service/pumptrackd /out/usr/local/bin/pumptrackd \
    && install -D -m 0755 -s build/cli/pumptrack /out/usr/local/bin/pumptrack \
    && install -D -m 0755 -s build/agents/pumptrack-agent /out/usr/local/bin/pumptrack-agent

FROM debian:12-slim AS runtime
ENV DEBIAN_FRONTEND=noninteractive
# Only runtime libraries (Debian 12 package names): what `ldd` of the three binaries resolves to on a Debian 12
# build (`dpkg -S`), plus librocksdb7.8 in case CMake links RocksDB's shared library rather than librocksdb.a (whose
# compression libraries are listed).
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends \
       libgrpc++1.51 libgrpc29 libprotobuf32 libabsl20220623 libre2-9 libc-ares2 \
       librocksdb7.8 libsnappy1v5 liblz4-1 libzstd1 libbz2-1.0 zlib1g \
       libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 libcivetweb1 libspdlog1.10 libfmt9 libssl3 \
       libcpp-httplib0.11 libbrotli1 libjemalloc2 \
       libldap-2.5-0 \
       ca-certificates \
       >/dev/null \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 pumptrack \
    && useradd --system --uid 10001 --gid pumptrack --home-dir /var/lib/pumptrack --shell /usr/sbin/nologin pumptrack \
    && install -d -o pumptrack -g pumptrack -m 0750 /var/lib/pumptrack
COPY --from=build /out/ /
USER 10001:10001
WORKDIR /var/lib/pumptrack
VOLUME ["/var/lib/pumptrack"]
# gRPC (agents and people), Prometheus /metrics, plaintext grpc.health.v1 for probes, the web console (HTTPS).
EXPOSE 50051 9464 8081 8443
ENTRYPOINT ["/usr/local/bin/pumptrackd", "--data_dir=/var/lib/pumptrack/data", "--grpc_listen=0.0.0.0:50051", \
            "--metrics_listen=0.0.0.0:9464", "--health_listen=0.0.0.0:8081", \
            "--http_listen=0.0.0.0:8443"]
