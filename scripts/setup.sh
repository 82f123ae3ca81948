#!/usr/bin/env bash
# Sets up latent-walk on Debian or Ubuntu: system packages (apt, as root), then .venv with the pinned Python packages.
#
#   scripts/setup.sh apt   system packages; writes .venv/.stamp-apt
#   scripts/setup.sh pip   .venv, requirements.txt and the project (editable); writes .venv/.stamp-pip
#   scripts/setup.sh npm   node_modules/ from package-lock.json (the explorer's onnxruntime-web); writes node_modules/.stamp-npm
#   scripts/setup.sh       all three
#
# The Makefile calls it through those stamp files, so a second `make` skips it entirely.
# Not root? It prints the exact apt-get command to run with sudo and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
TORCH_PIN="torch==2.13.0"

# cairo and pango (with pkg-config, a compiler and Python's headers) build pycairo and
# ManimPango for manim; fonts-cmu is Computer Modern, the film's typeface, installed from
# Debian so frames look the same on every machine; ffmpeg and sox handle the narration's audio,
# and ffmpeg encodes the web clips (x264, VP9, Opus). chromium is the browser the page's test
# drives (through Playwright, never a browser download); libegl1, libgl1 and libxkbcommon0 are
# what Qt needs for `manim-slides present`. nodejs runs npm, which installs the explorer page's one
# runtime, onnxruntime-web, at the version package-lock.json pins (Debian's npm package, or the one
# Node.js's own packages bring, provides the npm command).
APT_PACKAGES=(
  build-essential pkg-config python3 python3-dev python3-venv
  libcairo2-dev libpango1.0-dev fonts-cmu
  ffmpeg sox
  chromium libegl1 libgl1 libxkbcommon0
  nodejs
)

say() { printf 'setup: %s\n' "$*"; }

missing_apt_packages() {
  local package
  for package in "${APT_PACKAGES[@]}"; do
    # captured, not piped into grep -q: with pipefail, grep quitting early fails the pipe
    if [ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" != "install ok installed" ]; then
      printf '%s ' "$package"
    fi
  done
}

step_apt() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "error: this set-up knows Debian and Ubuntu only; install the equivalents of: ${APT_PACKAGES[*]}" >&2
    exit 1
  fi
  local missing
  missing=$(missing_apt_packages)
  missing=${missing% }
  if [ -n "$missing" ]; then
    if [ "$(id -u)" -eq 0 ]; then
      say "installing system packages: $missing"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update
      # shellcheck disable=SC2086  # one word per package
      apt-get install -y --no-install-recommends $missing
    else
      echo "error: system packages are missing: $missing" >&2
      echo "run this, then make again:" >&2
      echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends $missing" >&2
      exit 1
    fi
  else
    say "system packages present"
  fi
  if ! grep -q 'CMU Serif' <<<"$(fc-list : family 2>/dev/null)"; then
    echo "error: fonts-cmu is installed but fontconfig does not list 'CMU Serif'; run: fc-cache -f" >&2
    exit 1
  fi
  mkdir -p "$VENV"
  touch "$VENV/.stamp-apt"
}

step_pip() {
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV with $($PYTHON --version 2>&1)"
    "$PYTHON" -m venv "$VENV"
  fi
  local pip=("$VENV/bin/python" -m pip --disable-pip-version-check --no-input)
  if [ "${CI:-}" = "true" ]; then pip+=(--quiet); fi
  # pip itself first: manim-voiceover needs a recent one, and Debian's venv brings an old one
  "${pip[@]}" install "$(grep -m1 '^pip==' requirements.txt)"
  # torch alone and first, pinned: resolved together with the rest, a looser torch would
  # pull a multi-GB CUDA build. pip honours PIP_FIND_LINKS / PIP_INDEX_URL for a CPU build.
  say "installing $TORCH_PIN"
  "${pip[@]}" install "$TORCH_PIN"
  say "installing requirements.txt"
  "${pip[@]}" install -r requirements.txt
  # the project itself, editable: pipeline, scenes and publish import from the checkout, with no
  # sys.path or PYTHONPATH anywhere (setuptools is pinned in requirements.txt, so no build download)
  say "installing latent-walk (editable)"
  "${pip[@]}" install --no-deps --no-build-isolation -e .
  "$VENV/bin/python" -c "import torch, diffusers, manim, manim_voiceover, piper, pipeline, scenes, publish" \
    || { echo "error: the packages installed but do not import; see above" >&2; exit 1; }
  touch "$VENV/.stamp-pip"
  say "ready: $VENV"
}

step_npm() {
  if ! command -v npm >/dev/null 2>&1; then
    echo "error: npm is missing (the explorer page's runtime is an npm package); run:" >&2
    echo "  sudo apt-get install -y --no-install-recommends npm" >&2
    exit 1
  fi
  local npm=(npm ci --ignore-scripts --no-audit --no-fund)
  if [ "${CI:-}" = "true" ]; then npm+=(--loglevel=error); fi
  # exactly package-lock.json's versions, no install scripts: the page vendors only the runtime's dist files
  say "installing onnxruntime-web (package-lock.json) into node_modules/"
  "${npm[@]}"
  touch node_modules/.stamp-npm
  say "ready: node_modules/"
}

case "${1:-all}" in
  apt) step_apt ;;
  pip) step_pip ;;
  npm) step_npm ;;
  all) step_apt; step_pip; step_npm ;;
  *) echo "usage: scripts/setup.sh [apt|pip|npm|all]" >&2; exit 2 ;;
esac
