#!/usr/bin/env bash
# Install the Debian packages FieldCRM needs, when they are missing and we can.
#   runtime: Pango + DejaVu fonts (WeasyPrint PDFs with Vietnamese diacritics and ₫)
#   test:    runtime + Chromium (browser journeys) + poppler-utils (reading PDFs in tests) + npm (axe-core)
#   venv:    python3-venv, when `python3 -m venv` fails
set -u
mode=${1:-runtime}
packages="fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0"
if [ "$mode" = "venv" ]; then
  packages="python3-venv"  # Debian's python3 has no ensurepip without it
fi
if [ "$mode" = "test" ]; then
  packages="$packages chromium poppler-utils"
  command -v npm >/dev/null 2>&1 || packages="$packages npm"  # axe-core for the accessibility tests
fi

missing=""
for pkg in $packages; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $pkg"
  fi
done
[ -z "$missing" ] && exit 0

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  echo "Installing system packages:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null && exit 0
  echo "apt-get could not install:$missing" >&2
fi

cat >&2 <<MSG
FieldCRM needs these system packages, which are missing:$missing
Install them as root, for example:
    apt-get update && apt-get install -y$missing
Without them PDFs cannot be rendered$( [ "$mode" = "test" ] && echo " and the browser tests will FAIL (they are never skipped)").
MSG
exit 0
