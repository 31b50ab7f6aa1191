#!/usr/bin/env bash
# `pnpm test:deploy`: the deployables verified for real. Starts a Docker engine when none runs,
# makes the base images (pulled, or stand-ins built offline: base-images.sh), builds every
# image, checks them (non-root, healthcheck, ports, no trainer code in a serving image), brings
# the whole system up with `docker compose up` (profile `all`), runs the e2e suite against it
# through ports published on 127.0.0.1, and tears it all down, whatever happened.
# Works with Compose v2 (`docker compose`) and v1 (`docker-compose`).
#
# Environment: MSP_TAG (image tag, default dev), MSP_COMPOSE_PROJECT (default msp-e2e),
# MSP_DEPLOY_KEEP=1 (leave the stack up afterwards), DOCKER (the docker client to use).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
here=tools/docker
logs=.cache/deploy
mkdir -p "$logs"
export MSP_TAG=${MSP_TAG:-dev}
project=${MSP_COMPOSE_PROJECT:-msp-e2e}
started=$(date +%s)

step() { printf '\n[deploy %4ss] %s\n' "$(($(date +%s) - started))" "$*"; }
fail() { echo "deploy: $*" >&2; exit 1; }

# A client that builds with BuildKit (it skips the stages a target does not need): one with the
# buildx plugin, or one older than 23 that has BuildKit built in (Debian's docker.io 20.10).
pick_docker() {
  local candidate major
  for candidate in ${DOCKER:-} docker /usr/bin/docker; do
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" buildx version >/dev/null 2>&1; then echo "$candidate"; return; fi
    major=$("$candidate" version --format '{{.Client.Version}}' 2>/dev/null | cut -d. -f1 || true)
    if [[ "$major" =~ ^[0-9]+$ ]] && ((major < 23)); then echo "$candidate"; return; fi
  done
  return 1
}
docker=$(pick_docker) ||
  fail 'no docker client that can build with BuildKit (buildx plugin, or Debian docker.io): apt-get install docker.io docker-compose'

dockerd_pid=
if ! "$docker" info >/dev/null 2>&1; then
  command -v dockerd >/dev/null 2>&1 || fail 'no Docker engine answers and dockerd is not installed: apt-get install docker.io docker-compose'
  step "starting dockerd (log: $logs/dockerd.log)"
  dockerd >"$logs/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for ((try = 0; try < 60; try++)); do
    "$docker" info >/dev/null 2>&1 && break
    sleep 0.5
  done
  "$docker" info >/dev/null 2>&1 || { tail -n 20 "$logs/dockerd.log" >&2; fail 'dockerd did not answer within 30 s'; }
fi

if "$docker" compose version >/dev/null 2>&1; then
  compose=("$docker" compose)
  compose_name='v2 (docker compose)'
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
  compose_name="v1 ($(docker-compose version --short 2>/dev/null))"
else
  fail 'neither `docker compose` nor docker-compose: apt-get install docker-compose'
fi
compose+=(-p "$project" -f docker-compose.yml)

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
export MSP_GATEWAY_PORT=${MSP_GATEWAY_PORT:-$(free_port)}
export MSP_WEB_SINGLE_PORT=${MSP_WEB_SINGLE_PORT:-$(free_port)}
export MSP_PROMETHEUS_PORT=${MSP_PROMETHEUS_PORT:-$(free_port)}
# Both Redis servers with a password, as a deployment should run them (docs/deploy.md).
export MSP_REDIS_PASSWORD=${MSP_REDIS_PASSWORD:-ci-$(node -p 'require("crypto").randomBytes(12).toString("hex")')}
# NATS with one user per service (least privilege), each with a random password, as a deployment
# should run it: the variables are the ones the rendered config names
# (tools/docker/nats/nats-auth.conf, `pnpm nats:config`). MSP_NATS_CONFIG=nats.conf runs without.
export MSP_NATS_CONFIG=${MSP_NATS_CONFIG:-nats-auth.conf}
for variable in $(sed -n 's/.*password: \$\(MSP_NATS_PASSWORD_[A-Z0-9_]*\).*/\1/p' "$root/tools/docker/nats/nats-auth.conf"); do
  [[ -n "${!variable:-}" ]] || export "$variable=ci-$(node -p 'require("crypto").randomBytes(12).toString("hex")')"
done
export COMPOSE_PROFILES=all

teardown() {
  local status=$?
  set +e
  if ((status != 0)); then
    step "failed: container states and the last log lines (all logs: $logs/compose.log)"
    "${compose[@]}" ps
  fi
  "${compose[@]}" logs --no-color >"$logs/compose.log" 2>&1
  ((status != 0)) && tail -n 60 "$logs/compose.log"
  if [[ "${MSP_DEPLOY_KEEP:-}" == 1 ]]; then
    echo "left running (MSP_DEPLOY_KEEP=1): gateway http://127.0.0.1:$MSP_GATEWAY_PORT; stop with: ${compose[*]} down -v"
  else
    step 'tearing down'
    "${compose[@]}" down -v --remove-orphans --timeout 20 >/dev/null 2>&1
    [[ -n "$dockerd_pid" ]] && kill "$dockerd_pid" && wait "$dockerd_pid" 2>/dev/null
  fi
  step "done, exit $status"
  exit "$status"
}
trap teardown EXIT

step "base images (client: $docker; compose: ${compose_name})"
bash "$here/base-images.sh" "$docker"

step 'building images'
# Where HTTPS passes an intercepting proxy, npm inside the build needs its CA: a build secret.
secret=()
ca=${NODE_EXTRA_CA_CERTS:-}
[[ -n "$ca" && -s "$ca" ]] && secret=(--secret "id=npm-ca,src=$ca")
# Every app under apps/ is a serving image, but the trainer, which has its own target, and the
# web console, whose static files the gateway image carries.
apps=()
for dir in apps/*/; do
  app=$(basename "$dir")
  [[ "$app" == trainer || "$app" == console ]] || apps+=("$app")
done
for app in "${apps[@]}" trainer; do
  t0=$(date +%s)
  if [[ "$app" == trainer ]]; then
    target=(--target trainer --build-arg "CODE_REVISION=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)")
  else
    target=(--build-arg "APP=$app")
  fi
  DOCKER_BUILDKIT=1 "$docker" build --progress=plain "${secret[@]}" "${target[@]}" -t "msp/$app:$MSP_TAG" . \
    >"$logs/build-$app.log" 2>&1 || { tail -n 40 "$logs/build-$app.log" >&2; fail "building msp/$app failed (log: $logs/build-$app.log)"; }
  echo "msp/$app:$MSP_TAG built in $(($(date +%s) - t0)) s"
done

step 'checking images'
bash "$here/check-images.sh" "$docker" "$MSP_TAG" "${apps[@]}" trainer | tee "$logs/images.txt"

step "docker compose up (profile all; gateway :$MSP_GATEWAY_PORT, web-single :$MSP_WEB_SINGLE_PORT)"
"${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
t0=$(date +%s)
"${compose[@]}" up -d --no-build >"$logs/compose-up.log" 2>&1 || { cat "$logs/compose-up.log" >&2; fail 'docker compose up failed'; }
# Compose v1 has no --wait: poll until every service with a healthcheck is healthy.
for ((try = 0; ; try++)); do
  states=$("$docker" ps -a --filter "label=com.docker.compose.project=$project" --format '{{.Names}} {{.Status}}')
  pending=$(grep -v -E '\(healthy\)|Exited \(0\)' <<<"$states" || true)
  [[ -z "$pending" ]] && break
  # `unhealthy` is not final: the gateway is unready until the trainer has made the models and
  # the predictors have started.
  if grep -q -E 'Exited \([1-9]' <<<"$pending" || ((try > 240)); then
    echo "$states" >&2
    fail "the stack did not become healthy (after $(($(date +%s) - t0)) s)"
  fi
  sleep 2
done
echo "all $(wc -l <<<"$states") containers healthy (or done) in $(($(date +%s) - t0)) s"

# Prometheus of the observability profile beside the stack, as deployed (the committed config and
# alert rules): the suite asks it whether it scrapes every service.
step "prometheus (profile observability; :$MSP_PROMETHEUS_PORT)"
COMPOSE_PROFILES=all,observability "${compose[@]}" up -d --no-build prometheus >>"$logs/compose-up.log" 2>&1 ||
  { tail -n 20 "$logs/compose-up.log" >&2; fail 'starting prometheus failed'; }
for ((try = 0; ; try++)); do
  node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
    "http://127.0.0.1:$MSP_PROMETHEUS_PORT/-/ready" && break
  ((try > 60)) && fail 'prometheus did not become ready within 60 s'
  sleep 1
done

step 'e2e suite against the compose stack'
E2E_PROMETHEUS_URL="http://127.0.0.1:$MSP_PROMETHEUS_PORT" \
E2E_BASE_URL="http://127.0.0.1:$MSP_GATEWAY_PORT" \
E2E_WEB_SINGLE_URL="http://127.0.0.1:$MSP_WEB_SINGLE_PORT" \
E2E_COMPOSE="${compose[*]}" E2E_DOCKER="$docker" \
  pnpm exec vitest run --project e2e
