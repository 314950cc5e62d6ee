#!/usr/bin/env bash
# scripts/setup.sh run|test — make sure the tools the course needs are on this machine.
#   test: the Check unit-test library (+ pkg-config) is required; gnuplot is optional.
#   run:  gnuplot is optional: without it the chapters write .dat/.gp files and skip PNGs.
# Missing Debian packages are installed with apt-get when we are root (or have
# password-less sudo); otherwise the script says exactly what to install.
set -u
mode=${1:-run}

have_check() { pkg-config --exists check 2>/dev/null; }
have_gnuplot() { command -v gnuplot >/dev/null 2>&1; }

need=()
if [ "$mode" = test ]; then
  command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
  have_check || need+=(check)
fi
have_gnuplot || need+=(gnuplot-nox)
[ ${#need[@]} -eq 0 ] && exit 0

apt=""
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then apt="apt-get"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then apt="sudo -n apt-get"
  fi
fi
if [ -n "$apt" ]; then
  echo "setup: installing ${need[*]} (Debian packages)"
  if ! { $apt update -qq >/dev/null 2>&1 || true; DEBIAN_FRONTEND=noninteractive $apt install -y -qq "${need[@]}" >/dev/null; }; then
    echo "setup: apt-get could not install ${need[*]}" >&2
  fi
fi

if [ "$mode" = test ] && ! have_check; then
  echo "error: the Check unit-test library is missing and could not be installed here." >&2
  echo "       install it as root: apt-get install check pkg-config   (then: make test)" >&2
  exit 1
fi
if ! have_gnuplot; then
  echo "notice: gnuplot is not installed: chapters will write .dat/.gp files but no PNG plots." >&2
  echo "        to get plots: apt-get install gnuplot-nox, then: make plots" >&2
fi
exit 0
