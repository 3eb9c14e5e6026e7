#!/usr/bin/env bash
# Install what facegate needs on Debian 12 (run as root). Idempotent and quick when
# everything is already there: apt is only consulted for packages that are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  pkg-config make git python3 python3-pip python3-venv
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-tools
  libgstrtspserver-1.0-dev gir1.2-gst-rtsp-server-1.0 python3-gi
  libdlib-dev libopenblas-dev liblapack-dev libpng-dev libjpeg-dev zlib1g-dev
  libmosquitto-dev mosquitto mosquitto-clients openssl
  sqlite3 libsqlite3-dev runit
  prometheus   # the metrics tests: a real server scrapes the processes, promtool checks the format
  libjpeg62-turbo-dev   # CJpegEncoder: the face crops' JPEGs (libjpeg-dev above depends on it; named for clarity)
  # The shim variant tests: objdump reads the baseline's instructions, qemu-x86_64 runs it on
  # an emulated CPU without AVX (-cpu Nehalem), where an AVX instruction is a SIGILL.
  binutils qemu-user
  # make deb: dpkg-deb/dpkg-shlibdeps, lintian; the unit tests' systemd-analyze (offline);
  # make package-test: a Debian root booted under systemd-nspawn.
  dpkg-dev lintian systemd debootstrap systemd-container bc procps
  libcurl4-openssl-dev   # the static FoundationNetworking of facegate-onvif links libcurl
  patchelf               # the packaged swift-backtrace-static loses its toolchain RUNPATH
  # facegate-web's browser tests: headless chromium driven over WebDriver.
  chromium chromium-driver
  curl   # the console's TLS test: an HTTPS client that trusts exactly the test's certificate
)
# The demo's fallback sample photo when ../shared/faces is not beside the checkout.
[ -d ../shared/faces ] || packages+=(python3-skimage)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: system packages present"
fi
# A test starts its own mosquitto; the packaged one must not hold port 1883 meanwhile is fine,
# but it must not be required: nothing here depends on the system service.
scripts/fetch-models.sh
# An ONVIF client that is not ours (onvif-zeep-async, Home Assistant's; zeep reads the camera's
# answers through the ONVIF WSDLs) for the test camera to be checked against.
venv=.cache/onvif-client
if ! "$venv/bin/python" -c "import onvif" 2>/dev/null; then
  echo "setup: installing onvif-zeep-async into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv" && "$venv/bin/pip" install -q "onvif-zeep-async==4.3.0" \
    || echo "setup: could not install onvif-zeep-async; OnvifEventsTests.IndependentClientTests will fail"
fi
# facegate-web's API checked against deploy/openapi.yaml by a client that is not ours
# (hypothesis pinned: later ones dropped what schemathesis 3.39 uses).
venv=.cache/schemathesis
if ! "$venv/bin/st" --version >/dev/null 2>&1; then
  echo "setup: installing schemathesis into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv" && "$venv/bin/pip" install -q "schemathesis==3.39.16" "hypothesis==6.112.0" \
    || echo "setup: could not install schemathesis; WebConsoleTests.OpenAPITests will fail"
fi
