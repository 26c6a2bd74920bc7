#!/usr/bin/env bash
# Install the Debian packages newborn-enroll needs that are not installed yet.
#
#   scripts/system-packages.sh            WeasyPrint's libraries and poppler-utils
#   scripts/system-packages.sh --browser  the same plus Debian's chromium (browser tests)
#   scripts/system-packages.sh --cluster  the same plus nginx (make test-cluster's load balancer)
#   scripts/system-packages.sh --check    only report what is missing (exit 1 if anything is)
#
# Idempotent: when everything is present it only runs dpkg-query (no apt-get update).
# PYTHON=python3.11 adds python3.11-venv when that interpreter is Debian's and cannot create a venv.
# Installing needs root, or sudo for a non-root user. Targets Debian 12 (bookworm).
set -euo pipefail

# The one list. WeasyPrint (pip wheels, Debian >= 11) loads these libraries with dlopen: GObject, Pango,
# PangoFT2, HarfBuzz, HarfBuzz-subset (font subsetting; v70 warns without it, later versions require it)
# and Fontconfig; Pillow's wheel bundles its own image libraries. fontconfig brings a default font
# (fonts-dejavu-core) for text outside the card's bundled font. poppler-utils gives the tests pdftotext
# and pdftoppm.
PACKAGES=(
    libglib2.0-0
    libpango-1.0-0
    libpangoft2-1.0-0
    libharfbuzz0b
    libharfbuzz-subset0
    libfontconfig1
    fontconfig
    poppler-utils
)
BROWSER_PACKAGES=(
    chromium
)
# make test-cluster puts two gunicorn nodes behind nginx (only its binary: the test writes its own config
# and never starts the system service).
CLUSTER_PACKAGES=(
    nginx
    openssl
)
# Debian's own python3.11 keeps venv's ensurepip in a separate package; needed only when that is the
# interpreter the Makefile builds .venv with (it passes it as PYTHON).
DEBIAN_PYTHON_VENV_PACKAGE=python3.11-venv

usage() {
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
}

check_only=0
wanted=("${PACKAGES[@]}")
for arg in "$@"; do
    case "$arg" in
        --browser) wanted+=("${BROWSER_PACKAGES[@]}") ;;
        --cluster) wanted+=("${CLUSTER_PACKAGES[@]}") ;;
        --check) check_only=1 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "system-packages.sh: unknown argument: $arg" >&2; usage >&2; exit 2 ;;
    esac
done

python=${PYTHON:-}
if [ -n "$python" ] && command -v "$python" >/dev/null 2>&1 \
    && [[ "$(readlink -f "$(command -v "$python")")" == /usr/bin/* ]] \
    && ! "$python" -c 'import ensurepip' >/dev/null 2>&1; then
    wanted+=("$DEBIAN_PYTHON_VENV_PACKAGE")
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "system-packages.sh: dpkg-query not found: this script installs Debian packages (Debian 12)." >&2
    echo "On another system install the equivalents of: ${wanted[*]}" >&2
    exit 1
fi

missing=()
for package in "${wanted[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    if [ "$status" != "install ok installed" ]; then
        missing+=("$package")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "system packages: all ${#wanted[@]} present"
    exit 0
fi

echo "system packages missing: ${missing[*]}"
if [ "$check_only" -eq 1 ]; then
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    # Without a terminal sudo cannot ask for a password; find out now rather than halfway through.
    if [ ! -t 0 ] && ! sudo -n true 2>/dev/null; then
        echo "system-packages.sh: installing needs root, and sudo wants a password but there is no terminal." >&2
        echo "Run as root:  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
        exit 1
    fi
    as_root=(sudo)
else
    echo "system-packages.sh: installing needs root, and this user is not root and has no sudo." >&2
    echo "Run as root:  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q; then
    echo "system-packages.sh: apt-get update failed (see above); cannot install: ${missing[*]}" >&2
    exit 1
fi
if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    echo "system-packages.sh: apt-get install failed (see above) for: ${missing[*]}" >&2
    exit 1
fi
echo "system packages installed: ${missing[*]}"
