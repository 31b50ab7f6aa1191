#!/usr/bin/env bash
# Checks the built images as they are, not the Dockerfile: non-root, healthcheck and the ports
# each serving app listens on, no training code or dependencies in a serving image, one
# platform's onnxruntime binaries. Prints a size table; writes .cache/deploy/images.json.
# Usage: check-images.sh [docker] [tag] [app ...] (default: every app under apps/)
set -euo pipefail
docker=${1:-docker}
tag=${2:-dev}
shift $(($# < 2 ? $# : 2))
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
problems=0
problem() { echo "PROBLEM msp/$1: $2" >&2; problems=$((problems + 1)); }

# The ports each app's image must EXPOSE (Dockerfile stages app-<app>); a new app adds its line.
declare -A ports=([gateway]='8080/tcp' [predictor]='8081/tcp 9090/tcp' [preprocess]='9090/tcp' [worker]='9090/tcp' [cache]='9090/tcp' [monitor]='9090/tcp' [trainer]='')
# What training code looks like in a pruned tree: the one list the Dockerfile's guard uses too.
training=$(cat tools/docker/training-deps.regex)
json='['
printf '%-16s %10s  %s\n' image 'size MB' 'onnxruntime binaries'
apps=("$@")
if ((${#apps[@]} == 0)); then
  # The web console is no image of its own: the gateway image carries its files.
  for dir in apps/*/; do [[ "$(basename "$dir")" == console ]] || apps+=("$(basename "$dir")"); done
fi
for app in "${apps[@]}"; do
  image="msp/$app:$tag"
  [[ -v "ports[$app]" ]] || { problem "$app" "no expected ports in tools/docker/check-images.sh"; continue; }
  "$docker" image inspect "$image" >/dev/null 2>&1 || { problem "$app" 'not built'; continue; }
  user=$("$docker" image inspect -f '{{.Config.User}}' "$image")
  [[ -z "$user" || "$user" == root || "$user" == 0* ]] && problem "$app" "runs as '${user:-root}'"
  exposed=$("$docker" image inspect -f '{{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}' "$image" | xargs)
  [[ "$exposed" == "${ports[$app]}" ]] || problem "$app" "exposes '$exposed', expected '${ports[$app]}'"
  size=$("$docker" image inspect -f '{{.Size}}' "$image")
  # One listing of the image's dependency tree and onnxruntime binaries, without running the app.
  listing=$("$docker" run --rm --entrypoint sh "$image" -c \
    'ls /app/node_modules/.pnpm; echo ---; ls -d /app/node_modules/.pnpm/onnxruntime-node@*/node_modules/onnxruntime-node/bin/napi-v*/*/* 2>/dev/null | sed "s|.*/bin/||"')
  deps=${listing%%---*}
  ort=$(echo "${listing#*---}" | xargs)
  if [[ "$app" != trainer ]]; then
    health=$("$docker" image inspect -f '{{if .Config.Healthcheck}}{{json .Config.Healthcheck.Test}}{{end}}' "$image")
    [[ -n "$health" ]] || problem "$app" 'no HEALTHCHECK'
    leaked=$(grep -E "$training" <<<"$deps" || true)
    [[ -z "$leaked" ]] || problem "$app" "training dependencies in a serving image: $(echo "$leaked" | xargs)"
    "$docker" run --rm --entrypoint sh "$image" -c 'test ! -e /app/apps/trainer && ! grep -rlq "@msp/trainer" /app/dist' ||
      problem "$app" 'trainer code in a serving image'
  fi
  case "$ort" in *darwin* | *win32* | *arm64*\ *x64* | *x64*\ *arm64*) problem "$app" "onnxruntime binaries for other platforms: $ort" ;; esac
  printf '%-16s %10d  %s\n' "$image" $((size / 1000000)) "${ort:--}"
  json+="{\"image\":\"$image\",\"bytes\":$size,\"user\":\"$user\",\"exposed\":\"$exposed\",\"onnxruntime\":\"$ort\"},"
done
mkdir -p .cache/deploy
echo "${json%,}]" >.cache/deploy/images.json
((problems == 0)) || { echo "$problems problem(s) in the images" >&2; exit 1; }
echo 'images: non-root, healthchecks, ports, no training code in serving images: ok'
