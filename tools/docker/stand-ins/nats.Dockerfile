# Stand-in for nats:2.10-alpine: Debian's nats-server (2.9, with JetStream) plus wget for the
# compose healthcheck, as the alpine variant has.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nats-server wget \
 && rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
EXPOSE 4222 8222
CMD ["nats-server"]
