# Sightline in a container: build the app and install production dependencies in one stage, run as the
# unprivileged "node" user in a slim second stage. Bound to 0.0.0.0 inside the container, the server
# refuses to start without device tokens: pass ACCESS_TOKENS or mount a file and set ACCESS_TOKENS_FILE.
#
#   docker build -t sightline .
#   docker run --rm -p 8080:8080 -e ACCESS_TOKENS=kiosk-1:<token> --env-file .env sightline

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so that a source change does not reinstall them.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY . .
# The app (dist/) and the compiled server (dist-server/, what `npm start` runs; see server/bundle.ts).
RUN npm run build && npm run build:server && npm prune --omit=dev

FROM node:20-bookworm-slim
# MALLOC_ARENA_MAX: glibc otherwise keeps the memory freed by large image decodes in one pool per
# thread, and the server's resident size stays ~100 MB higher after each burst (bench:image-bombs).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    SHUTDOWN_TIMEOUT_MS=8000 \
    MALLOC_ARENA_MAX=2 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json /app/tsconfig.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/dist-server ./dist-server
COPY --from=build --chown=node:node /app/server ./server
# The local training store's database and images: a volume, writable by the unprivileged user.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 8080
# Liveness: the process answers. Readiness (for load balancers) is GET /api/ready.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "--import", "tsx", "server/healthcheck.ts"]
# SIGTERM (docker stop) finishes requests in flight, up to SHUTDOWN_TIMEOUT_MS (keep it under docker's
# stop timeout, 10 s by default).
CMD ["node", "--enable-source-maps", "dist-server/index.js"]
