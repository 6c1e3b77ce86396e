# One image recipe for every mfnas service; SERVICE picks the entry point (services/$SERVICE/src/main.ts).
# Multi-stage: dependencies are installed in a build stage; the runtime stage runs as an unprivileged user.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL_CUDA=skip
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts/prisma-generate.mjs ./scripts/prisma-generate.mjs
COPY packages/core/package.json packages/core/
COPY packages/store/package.json packages/store/
COPY packages/queue/package.json packages/queue/
COPY services/searcher/package.json services/searcher/
RUN npm ci --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ARG SERVICE=searcher
ENV NODE_ENV=production SERVICE=${SERVICE}
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
COPY --from=deps /app/packages/store/src/generated ./packages/store/src/generated
RUN useradd --system --uid 10001 --home /app mfnas && chown -R mfnas /app/packages/store/src/generated
USER 10001
CMD ["sh", "-c", "exec node --import tsx services/${SERVICE}/src/main.ts"]
