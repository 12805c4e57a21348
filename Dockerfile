# nvad container image.
#
#   podman build -t localhost/nvad .          (or: docker build -t nvad .)
#   podman run -d --name nvad --cap-add NET_ADMIN --device /dev/net/tun --network host \
#     -v /etc/nvad/nvad.yaml:/etc/nvad/nvad.yaml:ro localhost/nvad
#   podman exec nvad nvad show interfaces
#
# The daemon needs, at run time:
#   --cap-add NET_ADMIN        addresses, routes, nexthop groups, TUN devices (rtnetlink, TUNSETIFF)
#   --device /dev/net/tun      one TUN device per tunnel
#   --network host             IKE (UDP 500/4500) and ESP on the host's addresses, routes in the host's
#                              tables (or --network ns:/run/netns/NAME to put it in a namespace)
# It runs as root inside the container (capabilities apply to uid 0 only) and stops cleanly on
# SIGTERM (podman/docker stop): tunnels are deleted, addresses and routes it added are removed.
# Secrets: pass PSKs as environment variables or mounted files referenced from the config
# (${env:NAME} / ${file:/run/secrets/NAME}); never bake them into the image.

ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: dependencies, native addon, TypeScript ----
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends g++ make python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/nvad
# Marks the build stage's layers (not the apt layer above) so a test can prune them afterwards.
LABEL org.nvad.stage=build
# Layer order: dependencies and the addon change less often than the TypeScript sources.
COPY package.json package-lock.json ./
COPY native/ native/
# npm ci runs the package's install script: node-gyp builds native/build/Release/nvad.node
RUN npm ci --no-audit --no-fund \
 && test -f native/build/Release/nvad.node
# everything else the .dockerignore whitelist lets in: tsconfig*.json, src/, bin/, config/, LICENSE
COPY . .
RUN mkdir -p config \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: node + iproute2, no compiler ----
FROM ${NODE_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends iproute2 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/nvad
COPY --from=build /opt/nvad/package.json /opt/nvad/LICENSE ./
COPY --from=build /opt/nvad/node_modules/ node_modules/
COPY --from=build /opt/nvad/dist/ dist/
COPY --from=build /opt/nvad/bin/ bin/
COPY --from=build /opt/nvad/config/ config/
COPY --from=build /opt/nvad/native/build/Release/nvad.node native/build/Release/nvad.node
RUN chmod 755 bin/nvad.js \
 && ln -s /opt/nvad/bin/nvad.js /usr/local/bin/nvad \
 && mkdir -p /etc/nvad \
 && nvad version \
 && node -e 'require("/opt/nvad/native/build/Release/nvad.node").opensslVersion()'
ENV NODE_ENV=production
STOPSIGNAL SIGTERM
ENTRYPOINT ["nvad"]
CMD ["run", "--config", "/etc/nvad/nvad.yaml"]
