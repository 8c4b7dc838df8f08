# FastReceiver container image.
#
#   docker build -t fast-receiver .
#   docker run -e DT_SIGNATURE_SECRET -v fast-receiver-data:/data -p 8080:8080 fast-receiver
#
# Built on the Swift toolchain image, run on the same Ubuntu release without it: the Swift
# runtime and Foundation are linked statically, so the image needs only the C libraries the
# binary links (OpenSSL, zlib, libpq). docs/operations.md covers running it.

# ---- build -------------------------------------------------------------------------------
FROM swift:6.3-noble AS build

# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libssl-dev zlib1g-dev libpq-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build

# Dependencies get a layer of their own, so that editing a source file does not fetch them again.
COPY Package.swift ./
RUN swift package resolve

# Tests/ is copied only because the manifest declares its targets; nothing in it is built.
COPY Sources ./Sources
COPY Tests ./Tests
# .ci/run runs this same build command, so a change that breaks it fails CI, not a deploy.
RUN swift build -c release --static-swift-stdlib --product fast-receiver \
    && install -D -m 0755 .build/release/fast-receiver /staging/usr/local/bin/fast-receiver \
    && install -D -m 0755 /usr/libexec/swift/linux/swift-backtrace-static /staging/usr/local/libexec/swift/swift-backtrace-static

# ---- run ---------------------------------------------------------------------------------
FROM ubuntu:noble

# libssl3t64 is noble's name for the OpenSSL 3 runtime (libssl.so.3, libcrypto.so.3); libpq5 is
# PostgreSQL's client library, for forwarding.
# The fixed uid and gid let Kubernetes check runAsNonRoot and give a volume to the user (fsGroup).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libssl3t64 zlib1g libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 fast-receiver \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin fast-receiver \
    && mkdir -p /data \
    && chown 10001:10001 /data \
    && chmod 0750 /data

COPY --from=build /staging/ /

# A crash prints a symbolicated backtrace of every thread to stderr and exits, instead of
# waiting for a debugger.
ENV DATA_DIR=/data \
    SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=all,interactive=no,swift-backtrace=/usr/local/libexec/swift/swift-backtrace-static

# The journal. A new named volume starts with this directory's owner, so the user can write it.
VOLUME /data
USER 10001:10001
EXPOSE 8080

# SIGTERM drains: listeners close, requests in flight are stored and answered, then exit 0
# (within --shutdown-grace, 25 s by default; give the container at least 30 s to stop).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["fast-receiver", "healthcheck"]

ENTRYPOINT ["fast-receiver"]
CMD ["serve"]
