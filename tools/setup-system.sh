#!/usr/bin/env bash
# System packages the test suite needs. Installed only on Debian as root;
# elsewhere this prints what to install and the suite reports what is missing.
set -euo pipefail
PACKAGES=(
  redis-server
  # Polyglot stubs (make gen) and clients (tests/polyglot): Debian's protoc and
  # gRPC plugins match these runtime libraries' versions.
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev pkg-config g++
  golang-go protoc-gen-go protoc-gen-go-grpc golang-google-grpc-dev golang-github-golang-protobuf-1-5-dev
  protobuf-compiler-grpc-java-plugin libgrpc-java libprotobuf-java libnetty-java libperfmark-java
  libgeronimo-annotation-1.3-spec-java libnetty-tcnative-java libnetty-tcnative-jni default-jdk-headless
  ruby ruby-grpc ruby-google-protobuf
  # The web console's browser tests (tests/console): headless Chromium driven by selenium.
  chromium chromium-driver
)
# Node.js runs ts-proto (tools/ts) and the TypeScript client; keep one already installed.
command -v npm >/dev/null || PACKAGES+=(nodejs npm)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "setup: installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: not root on Debian; please install: ${missing[*]}" >&2
  # Under CI the tests would fail on the missing tools anyway; say why here, first.
  [ "${CI:-}" = true ] && exit 1
fi
