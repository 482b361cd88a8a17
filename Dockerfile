# One image for every Mailstack agent; docker-compose.yml runs it once per agent with
# `npx --no mailstack <agent> --config /etc/mailstack/mailstack.yaml`.
#
# Two stages: the first installs the dev tools and builds every package's dist (JavaScript,
# what the `mailstack` bin and the packages' exports serve outside the repository); the
# second holds the runtime dependencies and those builds, no compiler.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json turbo.json tsconfig.base.json tsconfig.build.base.json ./
COPY apps ./apps
COPY packages ./packages
RUN npm ci --no-audit --no-fund && npm run build \
  && tar -cf /dist.tar packages/*/dist apps/*/dist

FROM node:24-slim

ENV NODE_ENV=production
WORKDIR /app

# Manifests first would let Docker cache the install, but npm workspaces need every
# package.json in place; the sources are small, so they come in together.
COPY package.json package-lock.json ./
COPY apps ./apps
COPY packages ./packages
# --omit=dev: no test tools, no compiler, no second Node binary (the `node` devDependency).
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /dist.tar /tmp/dist.tar
RUN tar -xf /tmp/dist.tar && rm /tmp/dist.tar

# Everything an agent writes lives under /var/lib/mailstack (the compose volumes mount here),
# owned by the unprivileged user the agents run as. Inside the container the agents listen on
# ports above 1024 (the config's defaults); compose publishes them on the well-known ones.
RUN mkdir -p /var/lib/mailstack/mail /var/lib/mailstack/spool /etc/mailstack \
  && chown -R node:node /var/lib/mailstack
USER node

ENTRYPOINT []
CMD ["npx", "--no", "mailstack", "--help"]
