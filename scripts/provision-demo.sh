#!/usr/bin/env bash
# What `make demo` needs beyond this repository, provisioned the way `make test` provisions its services:
# apt-get when this is a root Debian machine. Never fails: where it cannot install, it says so in one line
# and the demo skips the steps that need the missing engine (and says so again, with a summary at the end).
#   python3-venv  `python3 -m venv` on Debian (ensurepip) — without it no .venv, so no demo at all
#   espeak-ng     the offline text-to-speech engine (demo steps `api` TTS/STT and `smoke`)
# TINYTALK_NO_PROVISION=1 skips this script (CI images that are provisioned already).
set -u
[ -n "${TINYTALK_NO_PROVISION:-}" ] && exit 0
python=${PYTHON:-python3}
need=()
if [ ! -x .venv/bin/python ] && ! "$python" -c "import ensurepip, venv" >/dev/null 2>&1; then
  need+=(python3-venv)
fi
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "demo: installing ${need[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; } \
    || echo "demo: apt-get install ${need[*]} failed; the demo skips what needs them" >&2
else
  echo "demo: missing ${need[*]} and not root on Debian (cannot apt-get); the demo skips what needs them" >&2
fi
exit 0
