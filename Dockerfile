# One image with the `rushhour` command, for every role on Kubernetes (deploy/k8s/README.md): serve,
# providers, load shards, simulation shards, merge. Its build steps are the README's set-up, nothing else:
# `npm ci` (which generates the gRPC code from proto/ and builds better-sqlite3 from source, hence the
# compiler).
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /rushhour
COPY . .
RUN npm ci
# The flag cli/bin.mjs asks for in its shebang (server/node-flags.ts says why).
ENTRYPOINT ["node", "--max-semi-space-size=64", "cli/bin.mjs"]
CMD ["--help"]
