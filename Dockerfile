# One Dockerfile for every app of the monorepo (docs/deploy.md).
#
#   serving image:  docker build --build-arg APP=gateway    -t msp/gateway:dev .
#                   docker build --build-arg APP=predictor  -t msp/predictor:dev .
#                   docker build --build-arg APP=preprocess -t msp/preprocess:dev .
#                   docker build --build-arg APP=cache      -t msp/cache:dev .
#                   docker build --build-arg APP=worker     -t msp/worker:dev .   (also the batch job)
#                   docker build --build-arg APP=monitor    -t msp/monitor:dev .
#   trainer image:  docker build --target trainer          -t msp/trainer:dev .
#
# Stages: base (Node + pnpm) → deps (registry packages, from the lockfile only) → workspace
# (sources, installed offline) → compiled (tsc, every serving app) → build (`pnpm deploy
# --prod` of one app) → runtime-base → app-<app> (its ports) → runtime.
# The trainer has its own build and final stage, so its dependencies (tfjs, ml-cart, the
# data sets) never enter a serving image; `build` refuses APP=trainer and checks the pruned
# tree for them. tools/deploy-check validates this file offline (the `pnpm test` unit run).

ARG NODE_IMAGE=node:20-bookworm-slim
ARG PNPM_VERSION=12.21.0
# The serving app; also names the final stage's parent below (one small stage per app).
ARG APP=gateway

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS base
ARG PNPM_VERSION
# No `packageManager` field in the root package.json (pnpm 12 would then lock binaries for every
# platform), so no corepack: pnpm comes from the npm registry at a pinned version.
# Where outbound HTTPS passes an intercepting proxy, its CA reaches npm as a build secret
# (`docker build --secret id=npm-ca,src=<ca bundle>`), never as a layer of the image.
RUN --mount=type=secret,id=npm-ca,required=false \
    if [ -s /run/secrets/npm-ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm-ca; fi \
 && npm install --global "pnpm@${PNPM_VERSION}" && npm cache clean --force
ENV CI=true
WORKDIR /repo

# ---------------------------------------------------------------------------------------------
FROM base AS deps
# Only the lockfile and workspace settings: this layer is reused until a dependency changes.
# The store stays in the layer (not a cache mount), so the --offline steps below always find
# what this layer fetched, even after the builder's cache mounts were pruned.
# allowBuilds in pnpm-workspace.yaml keeps onnxruntime-node's postinstall off (it would fetch
# CUDA files from outside); the CPU binary ships inside the npm package.
# patches/: pnpm's patched dependencies (patchedDependencies in pnpm-workspace.yaml), hashed in the lockfile.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
COPY patches ./patches
RUN --mount=type=secret,id=npm-ca,required=false \
    if [ -s /run/secrets/npm-ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm-ca; fi \
 && pnpm fetch --store-dir /pnpm/store

# ---------------------------------------------------------------------------------------------
FROM deps AS workspace
COPY . .
RUN pnpm install --frozen-lockfile --offline --store-dir /pnpm/store

# ---------------------------------------------------------------------------------------------
# Every serving app compiled at once (apps/* but the trainer): the images share this layer, so
# the libraries are compiled once per build, not once per image. tools/deploy-check holds the
# container probe (dist/probe/container-probe.js) used by HEALTHCHECK and the k8s exec probes.
# (Each app's tsconfig must still reference every lib it uses: deploy-check checks that.)
# The web console (apps/console) is no Node app: Vite builds its static files (with onnxruntime-web's
# WebAssembly runtime) here, and the gateway image carries them (/app/console, its CONSOLE_DIR).
FROM workspace AS compiled
RUN pnpm exec tsc -b $(for app in apps/*/; do case "${app}" in *trainer*|*console*) ;; *) printf '%s ' "${app}" ;; esac; done) tools/deploy-check \
 && pnpm --filter @msp/console build

# ---------------------------------------------------------------------------------------------
# A serving app, pruned to its production dependencies in /out.
FROM compiled AS build
ARG APP=gateway
RUN case "${APP}" in \
      trainer) echo "APP=trainer is not a serving app: build it with --target trainer" >&2; exit 1 ;; \
      "") echo "--build-arg APP=<app> is required (gateway, predictor, ...)" >&2; exit 1 ;; \
    esac; \
    test -f "apps/${APP}/package.json" || { echo "no app apps/${APP}" >&2; exit 1; }
# Prune to production dependencies; keep only this platform's onnxruntime-node binaries (the
# package ships them for every OS and CPU); then, since training code in serving is an
# anti-pattern, fail the build if any training dependency leaked in. The gateway also gets the inference graph
# definitions (graphs/*.yaml → /app/graphs, its GRAPHS_DIR in Compose and k8s), the experiments
# (experiments/*.yaml → /app/experiments, named by EXPERIMENTS_FILE in the shadow-ab pattern) and the
# web console's built files (→ /app/console, its CONSOLE_DIR).
RUN pnpm --filter "@msp/${APP}" deploy --prod --offline --store-dir /pnpm/store /out \
 && cp tools/deploy-check/dist/probe/container-probe.js /out/deploy-probe.js \
 && sh tools/docker/prune-onnxruntime.sh /out \
 && rm -f /out/pnpm-lock.yaml /out/pnpm-workspace.yaml \
 && if [ "${APP}" = gateway ]; then cp -r graphs /out/graphs && cp -r experiments /out/experiments && cp -r apps/console/dist /out/console; fi \
 && if ls /out/node_modules/.pnpm | grep -E -f tools/docker/training-deps.regex; then \
      echo "training dependencies in the ${APP} image" >&2; exit 1; \
    fi

# ---------------------------------------------------------------------------------------------
FROM workspace AS trainer-build
RUN pnpm exec tsc -b apps/trainer
RUN pnpm --filter @msp/trainer deploy --prod --offline --store-dir /pnpm/store /out \
 && sh tools/docker/prune-onnxruntime.sh /out \
 && rm -f /out/pnpm-lock.yaml /out/pnpm-workspace.yaml

# ---------------------------------------------------------------------------------------------
# The one-shot trainer (compose service `trainer`, k8s Job `trainer`): fills the models volume
# with <MODELS>/<model>/{model.onnx,manifest.json} for every model that is missing.
FROM ${NODE_IMAGE} AS trainer
# The commit the image was built from, recorded in every release record (the image has no git):
# docker build --target trainer --build-arg CODE_REVISION=$(git rev-parse HEAD) …
ARG CODE_REVISION=unknown
ENV NODE_ENV=production CODE_REVISION=${CODE_REVISION}
WORKDIR /app
COPY --from=trainer-build /out/ ./
# Owned by the runtime user, so a fresh named volume mounted here is writable by it.
# /data: the monitor's embedded prediction log store (LOG_DATA_DIR), a volume owned by the
# runtime user likewise.
RUN mkdir -p /models /data && chown 1000:1000 /models /data
USER 1000:1000
ENTRYPOINT ["node", "dist/main.js"]
CMD ["--missing", "--out", "/models"]

# ---------------------------------------------------------------------------------------------
# What every serving image shares. Code and node_modules belong to root and are read-only for
# the app's user (uid 1000, `node` in the Node images); the root filesystem can be mounted
# read-only (compose `read_only`, k8s `readOnlyRootFilesystem`).
FROM ${NODE_IMAGE} AS runtime-base
ARG APP=gateway
ENV NODE_ENV=production \
    MSP_APP=${APP} \
    MODELS_DIR=/models
WORKDIR /app
COPY --from=build /out/ ./
# Models reach predictors on a volume mounted here (the model-load pattern).
# model-in-image goes here later: a stage that trains or fetches one model and
#   COPY --from=models /models/<model> /models/<model>
# so the image carries its model and needs no volume.
# /data: the monitor's embedded prediction log store (LOG_DATA_DIR), a volume owned by the
# runtime user likewise.
RUN mkdir -p /models /data && chown 1000:1000 /models /data
USER 1000:1000
# Gateway and HTTP predictors: GET /v2/health/ready. NATS-only predictors: the probe asks
# `$SRV.INFO.msp-predictor` for an instance serving MODEL_NAME; preprocess likewise
# `$SRV.INFO.msp-preprocess`; the worker pings NATS and Redis (docs/deploy.md, "Probes").
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "/app/deploy-probe.js", "ready"]
CMD ["node", "dist/main.js"]

# ---------------------------------------------------------------------------------------------
# One small stage per serving app: the ports it listens on. 9090 is the ops port (OPS_PORT:
# /health/live, /health/ready, /metrics) of the services without HTTP of their own.
FROM runtime-base AS app-gateway
# The web console's files, served at / (copied into the build by the `build` stage).
ENV CONSOLE_DIR=/app/console
EXPOSE 8080

# HTTP_PORT (8081) only as web-single; otherwise NATS only.
FROM runtime-base AS app-predictor
EXPOSE 8081 9090

FROM runtime-base AS app-preprocess
EXPOSE 9090

# The prediction cache: NATS in, Redis behind; 9090 is its ops port.
FROM runtime-base AS app-cache
EXPOSE 9090

# The worker image's second entry is the batch job: CMD ["node", "dist/batch-main.js", ...].
FROM runtime-base AS app-worker
EXPOSE 9090

# The prediction log's store and the prediction monitor: JetStream in, PostgreSQL
# (LOG_DATABASE_URL) or the embedded PGlite (WebAssembly, no native build) on a volume at
# LOG_DATA_DIR behind; 9090 is its ops port.
FROM runtime-base AS app-monitor
EXPOSE 9090

# ---------------------------------------------------------------------------------------------
# The default target: the serving image of APP.
FROM app-${APP} AS runtime
