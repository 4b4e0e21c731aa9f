# One image for the api, the worker and the proxy (docker-compose.yml picks the command).
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/* \
 && npm install -g pnpm@10.34.9
WORKDIR /app
COPY . .
RUN pnpm install --frozen-lockfile && node scripts/build.mjs
ENV SCALEOUT_DATA_DIR=/data
VOLUME /data
CMD ["node", "--max-semi-space-size=2", "dist/api.mjs"]
