# The standalone server as a container: `node dist/server.mjs` (our code bundled by `npm run build`, no TypeScript at
# run time) with only the production packages, as the unprivileged `node` user.
#
#   docker build -t tfa-serverless .
#   docker run -p 4181:4181 -v ./tfa-config.yaml:/etc/traefik-forward-auth/config.yaml:ro tfa-serverless
#
# The config is found on upstream's search path (/etc/traefik-forward-auth/config.yaml) or through TFA_CONFIG; sessions
# are in memory unless `sessions.embeddedPath` (e.g. /data, a volume) or a real DynamoDB is configured. Without a
# config it exits naming the paths it searched (NODE_ENV=production: the demo starts only with --demo, on loopback).
#
# NODE_IMAGE: any Debian-based Node >= 20.19 image (glibc: dynalite's LevelDB binding ships prebuilt for it). CI builds
# with a stand-in made from the machine's own Node, having no registry to pull from (scripts/container-smoke.sh).
ARG NODE_IMAGE=docker.io/library/node:20-bookworm-slim

# 1. Production packages only: what the running server loads from node_modules.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# 2. The bundles, built with the dev tools (esbuild), which stay in this stage.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY bin bin
COPY dev dev
COPY functions functions
COPY shared shared
COPY scripts/build.mjs scripts/build.mjs
RUN npm run build

# 3. What runs: the server bundle, its lazily loaded chunks and the production packages, owned by root (the process
# cannot rewrite its own code), run as `node` (uid 1000 in the official images).
FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/package.json package.json
COPY --from=build /app/dist/server.mjs /app/dist/server.mjs.map dist/
COPY --from=build /app/dist/server-chunks dist/server-chunks
USER node
EXPOSE 4181
# /healthz of the configured address (server.port, default 4181); a provider outage does not make the server unhealthy.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 CMD ["node", "dist/server.mjs", "--health"]
CMD ["node", "dist/server.mjs"]
