# stet and its example service in one image.
# Build stage: a C++ toolchain in case better-sqlite3 has no prebuilt binary for this platform.
FROM node:20-slim AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
# Only the sources tsconfig.json compiles: no need for a .dockerignore to keep out host node_modules/dist.
COPY tsconfig.json ./
COPY server ./server
COPY invoker ./invoker
COPY partition ./partition
COPY protocol ./protocol
COPY sqlite ./sqlite
COPY postgres ./postgres
COPY query-sql ./query-sql
COPY sdk ./sdk
COPY scripts ./scripts
COPY ui ./ui
RUN npm run build

# Runtime stage: no toolchain. node_modules keeps dev dependencies because the example service needs
# @restatedev/restate-sdk, which is a dev dependency of stet.
FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# A named volume mounted here starts with this owner, so stet can create its data folder as `node`.
RUN mkdir /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 8080 9070 9080
# Node as PID 1 is fine: stet installs its own SIGTERM/SIGINT handlers and starts no child processes.
CMD ["node", "dist/stet.cjs", "start", "--data-dir", "/data"]
