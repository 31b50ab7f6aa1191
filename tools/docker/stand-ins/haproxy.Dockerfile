# Stand-in for haproxy:2.6: Debian's haproxy 2.6 with the official image's layout (config at
# /usr/local/etc/haproxy/haproxy.cfg, run as the haproxy user), so docker-compose.yml's command
# means the same to both.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends haproxy \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /usr/local/etc/haproxy
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
USER haproxy
EXPOSE 8080
CMD ["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]
