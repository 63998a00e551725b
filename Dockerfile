# syntax=docker/dockerfile:1
# The toa worker (and CLI) image. Build: docker compose build worker (or docker build -t toa-temporal .)
# Runs `toa worker` by default; any toa command works: docker run --rm toa-temporal sweep status <id>

FROM node:20-slim AS build
WORKDIR /app
# node-llama-cpp uses its prebuilt binaries; never download/compile llama.cpp at install time.
ENV NODE_LLAMA_CPP_SKIP_DOWNLOAD=true
COPY package.json package-lock.json ./
# --ignore-scripts: the "prepare" script needs src/, which is copied below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-slim
ENV NODE_ENV=production \
    NODE_LLAMA_CPP_SKIP_DOWNLOAD=true \
    TOA_HOME=/data/.toa
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY scripts ./scripts
COPY examples ./examples
# The evaluation sets the examples read (../data/ from examples/).
COPY data ./data
RUN chmod +x bin/toa.js && ln -s /app/bin/toa.js /usr/local/bin/toa \
 && mkdir -p /data/.toa && chown -R node:node /data
USER node
# Shared volume: sweep files, response store, records (same absolute path in every container).
VOLUME ["/data"]
WORKDIR /data
ENTRYPOINT ["toa"]
CMD ["worker"]
