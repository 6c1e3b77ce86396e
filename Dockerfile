# One recipe, a target per mfnas service: `docker build --target <service> -t mfnas-<service> .`
# (api, searcher, trainer, evaluator, device-lab, scheduler, and migrate for the one-off migration job).
# Multi-stage: dependencies are installed (and Prisma's client generated) in `deps`; each service target starts
# from the slim `runtime` stage and runs as the unprivileged user 10001.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL_CUDA=skip
# Every workspace's package.json must be present for `npm ci`; copying the tree (less .dockerignore) keeps that
# true as workspaces are added. tsx (a devDependency) runs the TypeScript sources, so dev dependencies stay.
COPY . .
RUN npm ci --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json prisma.config.ts ./
COPY packages ./packages
COPY services ./services
COPY prisma ./prisma
COPY scripts ./scripts
COPY --from=deps /app/packages/store/src/generated ./packages/store/src/generated
# The artifact directory belongs to the service user, so a named volume mounted there starts out writable.
# Its home is writable too, and adb's key directory ($HOME/.android) exists private to it, so a named volume
# mounted there (compose) starts out owned by the service user; the code under /app is not writable.
RUN useradd --system --uid 10001 --gid 0 --home-dir /var/lib/mfnas/home mfnas \
  && mkdir -p /var/lib/mfnas/artifacts /var/lib/mfnas/home/.android && chown -R 10001:0 /var/lib/mfnas \
  && chmod 0700 /var/lib/mfnas/home/.android
ENV HOME=/var/lib/mfnas/home
USER 10001

FROM runtime AS migrate
CMD ["node", "--import", "tsx", "scripts/migrate.ts"]

FROM runtime AS api
ENV API_HOST=0.0.0.0 API_PORT=8080
EXPOSE 8080
CMD ["node", "--import", "tsx", "services/api/src/main.ts"]

FROM runtime AS searcher
ENV METRICS_PORT=9461
EXPOSE 9461
CMD ["node", "--import", "tsx", "services/searcher/src/main.ts"]

# Trains on the GPU when run with the NVIDIA container runtime and tfjs-node-gpu is installed into the image;
# otherwise it picks the fastest CPU backend (see TRAINER_BACKEND).
FROM runtime AS trainer
ENV METRICS_PORT=9462
EXPOSE 9462
CMD ["node", "--import", "tsx", "services/trainer/src/main.ts"]

FROM runtime AS evaluator
ENV METRICS_PORT=9463
EXPOSE 9463
CMD ["node", "--import", "tsx", "services/evaluator/src/main.ts"]

# The device-lab agent runs its own adb server; the phones come in through /dev/bus/usb. The service user is in
# plugdev, the group the host's udev rule for Android phones gives the USB device nodes (see OPERATIONS.md).
# The emulated phone's flush-to-zero library (packages/devices/tools/flush-subnormals.c), built where a compiler is.
FROM node:20-bookworm-slim AS flush-subnormals
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
CMD ["node", "--import", "tsx", "services/device-lab/src/main.ts"]

FROM runtime AS scheduler
ENV METRICS_PORT=9465
EXPOSE 9465
CMD ["node", "--import", "tsx", "services/scheduler/src/main.ts"]
