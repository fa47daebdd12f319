#!/usr/bin/env bash
# Install the real services the tests use (MariaDB, sshd, espeak-ng/sox, Xvfb, Chromium) when this is a
# root Debian machine and they are missing. Elsewhere it says which tests will skip, and why.
set -u
need=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v sox >/dev/null 2>&1 || need+=(sox libsox-fmt-mp3)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then
  echo "test services: all present (mariadb, espeak-ng, sox, sshd, Xvfb, chromium)" >&2
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test services: installing ${need[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    || { echo "test services: apt-get install failed" >&2; exit 1; }
else
  echo "test services: not root on Debian, cannot install: ${need[*]}" >&2
  echo "  tests needing them will be skipped with a reason (pytest -ra lists them)" >&2
fi
# Where MariaDB is there (or was just installed), its tests must run: a skip would hide a broken fixture.
if command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ]; then
  echo "TINYTALK_REQUIRE_MARIADB=1"
fi
# Where Xvfb is there, the Live2D render tests must run (make dev installs the render extra): not skip.
if command -v Xvfb >/dev/null 2>&1; then
  echo "TINYTALK_REQUIRE_RENDER=1"
fi
