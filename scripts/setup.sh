#!/usr/bin/env bash
# Set up ShopCare on a Debian/Ubuntu machine: the system libraries Qt needs, a font that renders
# Simplified Chinese, then a virtual environment in .venv with ShopCare installed.
#
#   bash scripts/setup.sh           # to run it:        .venv/bin/shopcare
#   bash scripts/setup.sh --test    # for development:  editable install + test tools (see scripts/test.sh)
#
# Fast the second time: apt is skipped when every package is already installed, .venv is reused.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=run
case "${1:-}" in
  --test) MODE=test ;;
  "") ;;
  *) echo "usage: bash scripts/setup.sh [--test]" >&2; exit 2 ;;
esac

# Qt (PySide6) runtime libraries for the xcb (X11) and offscreen platforms, and a CJK font
# (fonts-wqy-microhei: ~5 MB and renders Simplified Chinese well; fonts-noto-cjk is ~90 MB).
PKGS=(libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libxcb-cursor0
      libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-render-util0 libxcb-image0 libxcb-xinerama0
      libxrender1 libxi6 libglib2.0-0 fonts-wqy-microhei)
if [ "$MODE" = test ]; then
  PKGS+=(poppler-utils xvfb)   # PDF reports to PNG, and a real X server for UI tests
fi

PYTHON=${PYTHON:-python3}
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  PKGS+=(python3 python3-venv)
elif ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1 && [ ! -x .venv/bin/python ]; then
  PKGS+=(python3-venv)         # Debian splits venv/ensurepip out of python3
fi

if command -v dpkg >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${PKGS[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    SUDO=()
    if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi
    echo "setup: installing ${missing[*]}" >&2
    "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=300 update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}"
  fi
else
  echo "setup: not a Debian-like system; install Qt's runtime libraries and a CJK font yourself" >&2
fi

"$PYTHON" - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"setup: ShopCare needs Python 3.11 or newer, this is {sys.version.split()[0]}")
PY

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi

export PIP_DISABLE_PIP_VERSION_CHECK=1
if [ "$MODE" = test ]; then
  .venv/bin/python -m pip install -q -e '.[test]'
else
  .venv/bin/python -m pip install -q .
fi
echo "setup: done ($MODE). Start the app with .venv/bin/shopcare" >&2
