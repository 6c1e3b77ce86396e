# One image recipe for every mfnas service; SERVICE picks the entry point (services/$SERVICE/src/main.ts).
# Multi-stage: dependencies are installed in a build stage; the runtime stage runs as an unprivileged user.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL_CUDA=skip
# Every workspace's package.json must be present for `npm ci`; copying the tree (less .dockerignore) keeps that
# true as workspaces are added.
COPY . .
RUN npm ci --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ARG SERVICE=searcher
ENV NODE_ENV=production SERVICE=${SERVICE}
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
COPY --from=deps /app/packages/store/src/generated ./packages/store/src/generated
# The artifact directory belongs to the service user, so a named volume mounted there starts out writable.
RUN useradd --system --uid 10001 --home /app mfnas && chown -R mfnas /app/packages/store/src/generated \
  && mkdir -p /var/lib/mfnas/artifacts && chown mfnas /var/lib/mfnas/artifacts
USER 10001
CMD ["sh", "-c", "exec node --import tsx services/${SERVICE}/src/main.ts"]
