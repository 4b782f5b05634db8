#!/usr/bin/env bash
# Installs the system packages the project uses, from Debian's apt, when they are missing:
#   chromium  Debian's Chromium, for the playground's browser test (Playwright's own download cannot work offline);
#             elsewhere set CHROMIUM_PATH to an installed Chromium instead.
#   native    oneDNN (libdnnl2) and OpenBLAS (libopenblas0-pthread), the BLAS libraries @varia/native-kernels loads
#             for the wasm-native backend. Optional: without apt-get this part only warns (the CLI then runs on
#             plain wasm and says why).
#   wasm      clang and lld, which compile @varia/wasm-kernels' module (wasm/matmul.c; its build is committed, so only
#             its test that the committed module is the build of the source needs them). Optional: without them that
#             test is skipped and says why.
# Usage: setup-system.sh chromium native wasm
set -euo pipefail

want_chromium=false
want_native=false
want_wasm=false
for part in "$@"; do
  case "$part" in
    chromium) want_chromium=true ;;
    native) want_native=true ;;
    wasm) want_wasm=true ;;
    *) echo "setup-system: unknown part \"$part\" (chromium | native | wasm)" >&2; exit 2 ;;
  esac
done

packages=()
if $want_chromium; then
  if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then :
  elif command -v chromium >/dev/null 2>&1; then :
  else packages+=(chromium); fi
fi
if $want_native; then
  libs=$(ldconfig -p 2>/dev/null || true) # captured first: grep -q would end the pipe early (SIGPIPE under pipefail)
  have() { [[ "$libs" == *"$1"* ]]; }
  have 'libdnnl.so.2' || packages+=(libdnnl2)
  have 'libopenblas.so.0' || packages+=(libopenblas0-pthread)
fi
if $want_wasm; then
  command -v clang >/dev/null 2>&1 || packages+=(clang)
  command -v wasm-ld >/dev/null 2>&1 || packages+=(lld)
fi
[ "${#packages[@]}" -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  if $want_chromium && [[ " ${packages[*]} " == *" chromium "* ]]; then
    echo "setup-system: no chromium and no apt-get; install Chromium and set CHROMIUM_PATH" >&2
    exit 1
  fi
  echo "setup-system: no apt-get; install oneDNN or OpenBLAS yourself for the wasm-native backend, clang and lld for @varia/wasm-kernels' module check (both optional)" >&2
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup-system: apt-get install ${packages[*]}" >&2
if ! { $SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${packages[@]}"; }; then
  if [[ " ${packages[*]} " == *" chromium "* ]]; then
    echo "setup-system: apt-get failed; the browser test needs Chromium" >&2
    exit 1
  fi
  echo "setup-system: apt-get failed; the CLI will run on plain wasm and say why (the BLAS libraries are optional; without clang and lld the wasm module check is skipped)" >&2
fi
