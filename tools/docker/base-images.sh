#!/usr/bin/env bash
# Makes sure the third-party images that the Dockerfile and docker-compose.yml name exist in the
# local engine: pulled when a registry answers, otherwise stand-ins built offline under the same
# names (docs/deploy.md, "Where no registry answers"):
#   debian:bookworm-slim   debootstrap --variant=minbase bookworm, imported
#   node:20-bookworm-slim  that base + this machine's Node 20 and npm
#   nats:2.10-alpine       that base + Debian's nats-server and wget
#   redis:7                that base + Debian's redis-server
#   prom/prometheus:*      that base + Debian's prometheus (the e2e run checks its scrapes)
#   haproxy:*              that base + Debian's haproxy (the cluster profile's one gateway address)
# Stand-ins carry the label org.ml-serving-patterns.stand-in=true. Usage: base-images.sh [docker]
set -euo pipefail
docker=${1:-docker}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${MSP_STAND_IN_CACHE:-/var/cache/msp-stand-ins}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

node_image=$(sed -n 's/^ARG NODE_IMAGE=//p' "$root/Dockerfile")
# Third-party images by service, and whether the e2e run needs them: an image only services of
# other profiles use (observability: Jaeger, Prometheus, Grafana) is skipped when it can be
# neither found nor pulled, since no stand-in can be built for it offline.
e2e_profiles=" ${MSP_DEPLOY_PROFILES:-all batch} "
declare -A required=()
compose_images=()
while read -r image profiles; do
  [[ -z "$image" || "$image" == msp/* || "$image" == *'$'* ]] && continue
  [[ -v "required[$image]" ]] || { required[$image]=0; compose_images+=("$image"); }
  # No profile, or an anchored list (*name) this script does not resolve: needed.
  [[ -z "$profiles" ]] && required[$image]=1
  for profile in $profiles; do
    [[ "$profile" == \** || "$e2e_profiles" == *" $profile "* ]] && required[$image]=1
  done
done < <(awk -f "$here/compose-images.awk" "$root/docker-compose.yml")

have() { "$docker" image inspect "$1" >/dev/null 2>&1; }

# A registry that answers wins: the real images are what users get.
pull() { timeout 120 "$docker" pull -q "$1" >/dev/null 2>&1; }

stand_in_debian() {
  have debian:bookworm-slim && return
  command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }
  local rootfs="$cache/bookworm-minbase"
  if [[ ! -x "$rootfs/bin/sh" ]]; then
    echo "stand-in debian:bookworm-slim: debootstrap into $rootfs"
    rm -rf "$rootfs.tmp"
    mkdir -p "$cache"
    debootstrap --variant=minbase bookworm "$rootfs.tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
      { tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }
    rm -rf "$rootfs.tmp/var/cache/apt/archives/"*.deb "$rootfs.tmp/var/lib/apt/lists/"*
    mv "$rootfs.tmp" "$rootfs"
  fi
  tar -C "$rootfs" -c . | "$docker" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'LABEL org.ml-serving-patterns.stand-in=true' \
    --change 'CMD ["bash"]' - debian:bookworm-slim >/dev/null
}

# Stand-ins are tiny single-stage builds from local images: the classic builder never looks for
# a registry, which BuildKit may do to resolve a base.
build_stand_in() {
  local tag=$1 dockerfile=$2 context=$3
  echo "stand-in $tag"
  DOCKER_BUILDKIT=0 "$docker" build -q --label org.ml-serving-patterns.stand-in=true \
    -f "$dockerfile" -t "$tag" "$context" >/dev/null
}

stand_in() {
  local image=$1 context
  stand_in_debian
  case "$image" in
    debian:bookworm-slim) ;;
    node:*)
      local want have_major
      want=$(sed 's/^node:\([0-9]*\).*/\1/' <<<"$image")
      have_major=$(node -p 'process.versions.node.split(".")[0]')
      if [[ "$want" != "$have_major" ]]; then
        echo "stand-in $image needs Node $want on this machine; it has $(node --version)" >&2
        exit 1
      fi
      context=$(mktemp -d)
      cp "$(command -v node)" "$context/node"
      cp -r "$(dirname "$(readlink -f "$(command -v npm)")")/.." "$context/npm"
      build_stand_in "$image" "$here/stand-ins/node.Dockerfile" "$context"
      rm -rf "$context"
      ;;
    nats:*) build_stand_in "$image" "$here/stand-ins/nats.Dockerfile" "$here/stand-ins" ;;
    redis:*) build_stand_in "$image" "$here/stand-ins/redis.Dockerfile" "$here/stand-ins" ;;
    prom/prometheus:*) build_stand_in "$image" "$here/stand-ins/prometheus.Dockerfile" "$here/stand-ins" ;;
    haproxy:*) build_stand_in "$image" "$here/stand-ins/haproxy.Dockerfile" "$here/stand-ins" ;;
    *) echo "no stand-in recipe for $image, and it cannot be pulled" >&2; exit 1 ;;
  esac
}

# Images of other profiles that still get a stand-in: deploy-e2e.sh starts Prometheus beside the
# `all` stack to check that it scrapes every service and loads the alert rules.
has_recipe() { [[ "$1" == prom/prometheus:* ]]; }

for image in $node_image "${compose_images[@]}"; do
  if have "$image"; then
    echo "$image: present"
  elif pull "$image"; then
    echo "$image: pulled"
  elif [[ "${required[$image]:-1}" == 0 ]] && ! has_recipe "$image"; then
    echo "$image: skipped (no registry, no stand-in; only profiles the e2e run does not start use it)"
  else
    stand_in "$image"
  fi
done
