#!/usr/bin/env bash
# Builds the Dockerfile with buildah and runs the image: the user is not root, the server starts from the bundle,
# answers /healthz with 204, and the image's HEALTHCHECK command reports it healthy.
#
# No container registry is reachable from this project's machines, so `FROM node:…` cannot be pulled: the build uses a
# stand-in base image made here from this machine's own Node (its binary and shared libraries, npm, /bin/sh, CA
# certificates and a `node` user of uid 1000, as in the official images), passed as NODE_IMAGE.
#
# Podman cannot run containers here: crun and runc both fail with `setrlimit RLIMIT_NPROC/NOFILE: Operation not
# permitted` (the sandbox refuses rlimits inside the container's namespaces). Buildah's chroot isolation needs no OCI
# runtime, so RUN steps and `buildah run` work; the network is the host's.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v buildah >/dev/null || { echo "buildah is not installed (apt-get install buildah)"; exit 1; }

BASE=localhost/tfa-node-standin:ci
IMAGE=localhost/tfa-serverless:ci
work=$(mktemp -d)
ctr=""
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  [ -n "$ctr" ] && buildah rm "$ctr" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# 1. The stand-in base image.
root="$work/rootfs"
copy() { # copy FILE...: each file with its path, symlinks resolved
  for f in "$@"; do mkdir -p "$root$(dirname "$f")"; cp -L "$f" "$root$f"; done
}
node_bin=$(command -v node)
libs() { ldd "$@" | grep -v ':$' | grep -o '/[^ ]*' | sort -u; }
copy /usr/bin/env /bin/sh "$(readlink -f "$node_bin")" $(libs "$node_bin" /bin/sh /usr/bin/env) /etc/ssl/certs/ca-certificates.crt
mkdir -p "$root/usr/local/bin" "$root/usr/local/lib" "$root/tmp" "$root/root" "$root/home/node" "$root/etc"
chmod 1777 "$root/tmp"
ln -sf "$(readlink -f "$node_bin")" "$root/usr/local/bin/node"
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
cp -a "$npm_dir" "$root/usr/local/lib/npm"
ln -sf ../lib/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' >"$root/etc/group"
chown 1000:1000 "$root/home/node"
tar -C "$root" -cf "$work/rootfs.tar" .
buildah rmi -f "$BASE" >/dev/null 2>&1 || true
# Buildah has no `import`: the tarball goes into an empty container (ADD of a local tar unpacks it with its owners).
ctr=$(buildah from scratch)
buildah add "$ctr" "$work/rootfs.tar" / >/dev/null
# This machine reaches the npm registry through a TLS proxy whose CA is only in the system bundle; without this,
# `npm ci` in the build fails every request, backs off for minutes and falls back to the shared cache.
buildah config --env PATH=/usr/local/bin:/usr/bin:/bin --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt "$ctr"
buildah commit --rm "$ctr" "$BASE" >/dev/null
ctr=""
echo "base image: $BASE ($(node -v) from this machine)"

# 2. The image, as the Dockerfile says. npm's cache is shared with the host's so the two `npm ci` runs download once.
cache=$(npm config get cache)
mkdir -p "$cache"
buildah bud --isolation chroot --layers --format docker --build-arg "NODE_IMAGE=$BASE" --volume "$cache:/root/.npm" -t "$IMAGE" .

# 3. The image's configuration.
# HEALTHCHECK exists only in the Docker image format (hence --format docker above).
buildah inspect --type image "$IMAGE" | node -e '
  const image = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
  const c = image.Docker.config;
  const want = {
    User: "node",
    Cmd: ["node", "dist/server.mjs"],
    WorkingDir: "/app",
    Healthcheck: { Test: ["CMD", "node", "dist/server.mjs", "--health"], Interval: 30e9, Timeout: 10e9, StartPeriod: 20e9, Retries: 3 },
  };
  for (const [k, v] of Object.entries(want))
    if (JSON.stringify(c[k]) !== JSON.stringify(v)) throw new Error(`${k} is ${JSON.stringify(c[k])}, want ${JSON.stringify(v)}`);
  console.log("image config: USER node, CMD node dist/server.mjs, WORKDIR /app, HEALTHCHECK node dist/server.mjs --health");
'

# 4. Run it on free ports, and ask it as the HEALTHCHECK would. The demo needs no provider; NODE_ENV=production in the
# image means it starts only when asked (--demo), and without it and without a config the server must refuse to start.
ctr=$(buildah from "$IMAGE")
if buildah run --isolation chroot "$ctr" -- node dist/server.mjs >"$work/refused.log" 2>&1; then
  cat "$work/refused.log"; echo "started without a config and without --demo"; exit 1
fi
grep -q 'No config file found' "$work/refused.log" || { cat "$work/refused.log"; echo "refusal does not name the search"; exit 1; }
echo "without a config: refuses to start, naming the paths searched"
uid=$(buildah run --isolation chroot "$ctr" -- node -p 'process.getuid()')
[ "$uid" = 1000 ] || { echo "runs as uid $uid, want 1000 (node)"; exit 1; }
echo "runs as uid $uid"
ports=($(node -e '
  const net = require("node:net");
  Promise.all([0, 1, 2].map(() => new Promise((r) => { const s = net.createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => r(p)); }); })))
    .then((p) => console.log(p.join(" ")));'))
buildah run --isolation chroot "$ctr" -- node dist/server.mjs --demo --port "${ports[0]}" \
  --demo-idp-port "${ports[1]}" --demo-app-port "${ports[2]}" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 60); do
  status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${ports[0]}/healthz" || true)
  [ "$status" = 204 ] && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; echo "the server exited"; exit 1; }
  sleep 1
done
[ "$status" = 204 ] || { cat "$work/server.log"; echo "GET /healthz answered $status, want 204"; exit 1; }
echo "GET /healthz: 204"
buildah run --isolation chroot "$ctr" -- node dist/server.mjs --demo --health --port "${ports[0]}"
signin=$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept: text/html' -H "X-Forwarded-Host: localhost:${ports[0]}" \
  "http://127.0.0.1:${ports[0]}/portals/demo")
[ "$signin" = 303 ] || { cat "$work/server.log"; echo "GET /portals/demo answered $signin, want 303"; exit 1; }
echo "GET /portals/demo without a session: 303 to sign in"
kill "$server"
wait "$server" 2>/dev/null || true
server=""
if buildah run --isolation chroot "$ctr" -- node dist/server.mjs --demo --health --port "${ports[0]}" >/dev/null; then
  echo "--health said healthy with the server stopped"
  exit 1
fi
echo "--health with the server stopped: exit 1"
echo "container smoke test passed"
