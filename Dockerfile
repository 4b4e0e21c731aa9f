# One image for the api, the worker and the proxy (docker-compose.yml picks the command).
# Node.js 24 LTS is the image's own node, so packages/node-runtime (Node 24 from npm, for npm start and
# npm test on machines with an older node) is left out of the install.
FROM node:24-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/* \
 && npm install -g pnpm@10.34.9
WORKDIR /app
COPY . .
RUN pnpm install --frozen-lockfile --filter '!@scaleout/node-runtime' && node scripts/build.mjs
ENV SCALEOUT_DATA_DIR=/data
VOLUME /data
CMD ["node", "--max-semi-space-size=2", "dist/api.mjs"]
