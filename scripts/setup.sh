#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian bookworm machine with Node 20.
# Installs only what is missing: a Vulkan driver Dawn accepts (Mesa 25 lavapipe from
# bookworm-backports when no adapter is found), Debian's Fashion-MNIST and redis-server, the npm
# dependencies, and the TypeScript build. Safe to run before every command.
set -euo pipefail
cd "$(dirname "$0")/.."

export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/matc-xdg}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR" 2>/dev/null || true

log() { echo "[setup] $*" >&2; }

SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
fi

APT_UPDATED=0
apt_update() {
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update"
    $SUDO apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
}

# 1. npm dependencies (re-run only when package-lock.json changed).
STAMP=node_modules/.matc-install-stamp
LOCK_SUM="$(sha256sum package-lock.json package.json | sha256sum | cut -c1-16)"
if [ -L node_modules ] && { [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$LOCK_SUM" ]; }; then
  # A linked node_modules (a git worktree sharing another checkout's) is not ours to replace: npm ci
  # deletes the whole tree first, under every process that uses it.
  log "node_modules is a link to $(readlink node_modules); not reinstalling it (run npm ci in that checkout if it is out of date)"
elif [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$LOCK_SUM" ]; then
  log "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$LOCK_SUM" > "$STAMP"
fi

# 2. A WebGPU adapter. Dawn needs Vulkan; bookworm's Mesa 22.3 lavapipe lacks features
#    Dawn requires, so install Mesa 25 from bookworm-backports when no adapter is found.
probe_adapter() { node scripts/probe-adapter.mjs >/dev/null 2>&1; }
if ! probe_adapter; then
  log "no usable WebGPU adapter; installing Vulkan (Mesa lavapipe from bookworm-backports)"
  if [ ! -f /etc/apt/sources.list.d/bookworm-backports.sources ] && ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null
  fi
  apt_update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
  if ! probe_adapter; then
    node scripts/probe-adapter.mjs || true
    log "still no WebGPU adapter after installing Mesa; see the message above"
    exit 1
  fi
fi

# 3. Fashion-MNIST, the embedded default data set.
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  log "installing Debian's dataset-fashion-mnist"
  apt_update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null
fi

# 4. Redis, for the distributed path (matc worker, sweep/eval --queue) and its tests.
if ! command -v redis-server >/dev/null 2>&1; then
  log "installing Debian's redis-server"
  apt_update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
fi

# 5. Build (tsc is incremental enough at this size; always rebuild so dist matches src).
log "building"
npx tsc -p tsconfig.json
