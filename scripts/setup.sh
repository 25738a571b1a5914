#!/usr/bin/env bash
# Installs what nfctl needs to build and run on a fresh Debian machine:
# the system packages (when missing) and the npm dependencies (when missing
# or older than package-lock.json). Safe to run again; quick when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

# zsh and fish: the completion scripts' tests check them with the real shells.
# openssh-server, lighttpd (with its TLS module) and openssl: the git source's tests
# run their own sshd and git http-backend on 127.0.0.1 (test/sources/helpers/servers.ts);
# installing them starts no service here (a container's policy-rc.d refuses it, and
# the tests use their own configs and ports either way).
# docker-registry (the CNCF distribution registry), skopeo and apache2-utils (htpasswd):
# the image source's tests run their own registry with TLS and basic auth on 127.0.0.1,
# and push to it with skopeo as well as with nfctl.
packages=(clang clang-format llvm libbpf-dev libbpf1 iproute2 make gcc util-linux git gnupg prometheus systemd xdp-tools time
  zsh fish openssh-server openssh-client lighttpd lighttpd-mod-openssl openssl
  docker-registry skopeo apache2-utils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies" >&2
  npm ci --no-audit --no-fund >/dev/null
fi
