# One recipe, a target per mfnas service: `docker build --target <service> -t mfnas-<service> .`
# (api, searcher, trainer, evaluator, device-lab, scheduler, migrate for the one-off migration job, and the GPU
# workers trainer-gpu, evaluator-gpu and evaluator-ort-gpu; see OPERATIONS.md).
#
# Layers, so that a source change never reinstalls dependencies: the lockfile and every workspace's package.json
# (`manifests`), then `npm ci`, then the sources. `build` compiles the TypeScript once (npm run build:
# <workspace>/dist, dist/scripts, dist/bench); each service image gets only the production dependencies of its own
# workspace (`npm ci --omit=dev --workspace ...`, in `prod-<service>`) and the compiled JavaScript (`app`), and runs
# `node .../dist/main.js`: no TypeScript sources, no tsx, no dev packages. NODE_OPTIONS=--conditions=mfnas-dist
# makes the @mfnas packages resolve to their dist/ (their package.json "exports"). Every image runs as user 10001.
ARG NODE_IMAGE=node:20-bookworm-slim
# tfjs-node-gpu 4.22 needs CUDA 11.2 and cuDNN 8.1 (tensorflow/tfjs, tfjs-node/README.md).
ARG CUDA11_IMAGE=nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04
# onnxruntime-node 1.30's CUDA execution provider needs CUDA 12.x and cuDNN 9.x (onnxruntime.ai, CUDA EP requirements).
ARG CUDA12_IMAGE=nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04

FROM ${NODE_IMAGE} AS node

# npm 11.19 honours the allowScripts policy of package.json (which install scripts may run); Node 20's npm 10 would
# run every install script.
FROM node AS npm
RUN npm install -g npm@11.19.1 --no-audit --no-fund && npm cache clean --force
ENV ONNXRUNTIME_NODE_INSTALL_CUDA=skip
WORKDIR /app

# Only what `npm ci` reads. A new workspace needs its line here (tests/deploy-manifests.test.ts checks).
FROM npm AS manifests
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/
COPY packages/devices/package.json packages/devices/
COPY packages/export/package.json packages/export/
COPY packages/latency/package.json packages/latency/
COPY packages/model/package.json packages/model/
COPY packages/queue/package.json packages/queue/
COPY packages/store/package.json packages/store/
COPY services/api/package.json services/api/
COPY services/cli/package.json services/cli/
COPY services/device-lab/package.json services/device-lab/
COPY services/evaluator/package.json services/evaluator/
COPY services/scheduler/package.json services/scheduler/
COPY services/searcher/package.json services/searcher/
COPY services/trainer/package.json services/trainer/

# Every dependency (dev included: prisma, typescript), then the sources: Prisma's client, then the JavaScript.
FROM manifests AS build
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts ./scripts
COPY bench/gpu-smoke.ts ./bench/
COPY packages ./packages
COPY services ./services
RUN node scripts/prisma-generate.mjs && npm run -s build \
  && find packages services -mindepth 2 -maxdepth 2 -name src -type d -exec rm -rf {} +

# What every image runs: package.json files, dist/ and the assets read at run time (the model's bundled images,
# the API's dashboard, the migrations), without the TypeScript sources.
FROM scratch AS app
COPY --from=build /app/package.json /app/
COPY --from=build /app/packages /app/packages
COPY --from=build /app/services /app/services
COPY --from=build /app/dist /app/dist
COPY --from=build /app/prisma /app/prisma

# Production dependencies, one workspace each (its @mfnas packages are links into packages/), without ONNX
# Runtime's macOS and Windows binaries (220 MB of its 288 MB).
FROM manifests AS prod-api
RUN npm ci --omit=dev --workspace services/api --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32
FROM manifests AS prod-searcher
RUN npm ci --omit=dev --workspace services/searcher --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32
FROM manifests AS prod-trainer
RUN npm ci --omit=dev --workspace services/trainer --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32
FROM manifests AS prod-evaluator
RUN npm ci --omit=dev --workspace services/evaluator --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32
FROM manifests AS prod-device-lab
RUN npm ci --omit=dev --workspace services/device-lab --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32
FROM manifests AS prod-scheduler
RUN npm ci --omit=dev --workspace services/scheduler --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32
FROM manifests AS prod-migrate
RUN npm ci --omit=dev --workspace packages/store --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32

# The artifact directory belongs to the service user, so a named volume mounted there starts out writable.
# Its home is writable too, and adb's key directory ($HOME/.android) exists private to it, so a named volume
# mounted there (compose) starts out owned by the service user; the code under /app is not writable.
FROM node AS runtime
ENV NODE_ENV=production NODE_OPTIONS=--conditions=mfnas-dist
WORKDIR /app
RUN useradd --system --uid 10001 --gid 0 --home-dir /var/lib/mfnas/home mfnas \
  && mkdir -p /var/lib/mfnas/artifacts /var/lib/mfnas/datasets /var/lib/mfnas/home/.android && chown -R 10001:0 /var/lib/mfnas \
  && chmod 0700 /var/lib/mfnas/home/.android
ENV HOME=/var/lib/mfnas/home
USER 10001

FROM runtime AS migrate
COPY --from=prod-migrate /app/node_modules ./node_modules
COPY --from=app /app ./
CMD ["node", "dist/scripts/migrate.js"]

FROM runtime AS api
ENV API_HOST=0.0.0.0 API_PORT=8080 API_METRICS_PORT=9460
EXPOSE 8080 9460
COPY --from=prod-api /app/node_modules ./node_modules
COPY --from=app /app ./
CMD ["node", "services/api/dist/main.js"]

FROM runtime AS searcher
ENV METRICS_PORT=9461
EXPOSE 9461
COPY --from=prod-searcher /app/node_modules ./node_modules
COPY --from=app /app ./
CMD ["node", "services/searcher/dist/main.js"]

# The CPU trainer: the fastest CPU backend (see TRAINER_BACKEND). On GPU nodes use trainer-gpu.
FROM runtime AS trainer
ENV METRICS_PORT=9462
EXPOSE 9462
COPY --from=prod-trainer /app/node_modules ./node_modules
COPY --from=app /app ./
CMD ["node", "services/trainer/dist/main.js"]

FROM runtime AS evaluator
ENV METRICS_PORT=9463
EXPOSE 9463
COPY --from=prod-evaluator /app/node_modules ./node_modules
COPY --from=app /app ./
CMD ["node", "services/evaluator/dist/main.js"]

# The device-lab agent runs its own adb server; the phones come in through /dev/bus/usb. The service user is in
# plugdev, the group the host's udev rule for Android phones gives the USB device nodes (see OPERATIONS.md).
# The emulated phone's flush-to-zero library (packages/devices/tools/flush-subnormals.c), built where a compiler is.
FROM node AS flush-subnormals
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
COPY packages/devices/tools/flush-subnormals.c /src/
RUN cc -shared -fPIC -O2 -o /src/flush-subnormals.node /src/flush-subnormals.c

FROM runtime AS device-lab
COPY --from=flush-subnormals /src/flush-subnormals.node /opt/mfnas/flush-subnormals.node
ENV MFNAS_FLUSH_SUBNORMALS_LIBRARY=/opt/mfnas/flush-subnormals.node
USER root
RUN apt-get update && apt-get install -y --no-install-recommends adb && rm -rf /var/lib/apt/lists/* \
  && usermod -a -G plugdev mfnas
USER 10001
ENV METRICS_PORT=9464 ADB_HOST=127.0.0.1 ADB_PORT=5037
EXPOSE 9464
COPY --from=prod-device-lab /app/node_modules ./node_modules
COPY --from=app /app ./
CMD ["node", "services/device-lab/dist/main.js"]

FROM runtime AS scheduler
ENV METRICS_PORT=9465
EXPOSE 9465
COPY --from=prod-scheduler /app/node_modules ./node_modules
COPY --from=app /app ./
CMD ["node", "services/scheduler/dist/main.js"]

# --- GPU workers -------------------------------------------------------------------------------------------------
# tfjs-node-gpu has its own manifest (ops/gpu), so the workspace's `npm ci` never downloads libtensorflow; there its
# install script (libtensorflow with CUDA, and the native addon) is approved in allowScripts. Installed under
# /opt/mfnas-gpu and linked into /app/node_modules, where selectBackend's import finds it.
FROM npm AS gpu-modules
WORKDIR /opt/mfnas-gpu
COPY ops/gpu/package.json ops/gpu/package-lock.json ./
RUN npm ci --no-audit --no-fund

# CUDA 11.2 + cuDNN 8.1 (Ubuntu 20.04) with Node.js from the node image (its binary needs glibc 2.28; 20.04 has
# 2.31). REQUIRE_GPU: no GPU backend, no start (exit 69, "no GPU backend loaded").
FROM ${CUDA11_IMAGE} AS gpu-runtime
COPY --from=node /usr/local/bin/node /usr/local/bin/node
ENV NODE_ENV=production NODE_OPTIONS=--conditions=mfnas-dist REQUIRE_GPU=1
WORKDIR /app
RUN useradd --system --uid 10001 --gid 0 --home-dir /var/lib/mfnas/home mfnas \
  && mkdir -p /var/lib/mfnas/artifacts /var/lib/mfnas/datasets /var/lib/mfnas/home /app/node_modules/@tensorflow \
  && chown -R 10001:0 /var/lib/mfnas \
  && ln -s /opt/mfnas-gpu/node_modules/@tensorflow/tfjs-node-gpu /app/node_modules/@tensorflow/tfjs-node-gpu
ENV HOME=/var/lib/mfnas/home
COPY --from=gpu-modules /opt/mfnas-gpu/node_modules /opt/mfnas-gpu/node_modules
USER 10001

FROM gpu-runtime AS trainer-gpu
ENV METRICS_PORT=9462 TRAINER_BACKEND=tensorflow-gpu
EXPOSE 9462
COPY --from=prod-trainer /app/node_modules ./node_modules
COPY --from=app /app ./
CMD ["node", "services/trainer/dist/main.js"]

# Evaluations on the tfjs path on tfjs-node-gpu (EVALUATOR_PATH=auto picks it when the GPU loaded).
FROM gpu-runtime AS evaluator-gpu
ENV METRICS_PORT=9463 EVALUATOR_BACKEND=tensorflow-gpu
EXPOSE 9463
COPY --from=prod-evaluator /app/node_modules ./node_modules
COPY --from=app /app ./
CMD ["node", "services/evaluator/dist/main.js"]

# Evaluations of the exported ONNX graphs on ONNX Runtime's CUDA execution provider (CUDA 12, cuDNN 9): its
# provider libraries are fetched by onnxruntime-node's own install script, run here with the cuda12 flag.
FROM prod-evaluator AS prod-evaluator-cuda
RUN ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js

FROM ${CUDA12_IMAGE} AS evaluator-ort-gpu
COPY --from=node /usr/local/bin/node /usr/local/bin/node
ENV NODE_ENV=production NODE_OPTIONS=--conditions=mfnas-dist REQUIRE_GPU=1 \
  EVALUATOR_PATH=onnxruntime EVALUATOR_ORT_PROVIDER=cuda METRICS_PORT=9463
WORKDIR /app
RUN useradd --system --uid 10001 --gid 0 --home-dir /var/lib/mfnas/home mfnas \
  && mkdir -p /var/lib/mfnas/artifacts /var/lib/mfnas/datasets /var/lib/mfnas/home && chown -R 10001:0 /var/lib/mfnas
ENV HOME=/var/lib/mfnas/home
USER 10001
EXPOSE 9463
COPY --from=prod-evaluator-cuda /app/node_modules ./node_modules
COPY --from=app /app ./
CMD ["node", "services/evaluator/dist/main.js"]
