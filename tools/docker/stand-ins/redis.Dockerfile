# Stand-in for redis:7: Debian's redis-server 7 and redis-cli. The official image is built with
# protected mode off (containers reach it over the compose network, without a password); the
# entrypoint does the same here.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
COPY redis-entrypoint.sh /usr/local/bin/redis-entrypoint.sh
ENTRYPOINT ["/bin/sh", "/usr/local/bin/redis-entrypoint.sh"]
EXPOSE 6379
CMD ["redis-server"]
