# Parley: one image for every role (parley start --role link|dispatch|api|all).
# Build: docker build -t parley .   Run: see compose.yaml and docs/cluster.md.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Manifests first, so the dependency layer is reused while only sources change.
COPY package.json package-lock.json tsconfig.base.json ./
COPY packages/protocol/package.json packages/protocol/
COPY packages/sdk/package.json packages/sdk/
COPY packages/server/package.json packages/server/
COPY packages/web/package.json packages/web/
COPY bench/package.json bench/
RUN npm ci
COPY packages packages
COPY bench bench
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
# Data (uploads, default-app.json) and keys live in volumes; the process never needs root.
RUN mkdir -p /data /keys && chown node:node /data /keys
USER node
ENV PARLEY_DATA_DIR=/data PARLEY_KEYS_DIR=/keys PARLEY_HOST=0.0.0.0
# 8080 HTTP/WebSocket (api, link), 8081 client TCP (link), 9000 internal TCP (dispatch, api push)
EXPOSE 8080 8081 9000
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "packages/server/dist/cli.js"]
CMD ["start"]
