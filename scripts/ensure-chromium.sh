#!/usr/bin/env bash
# Browser tests use Debian's chromium; install it when missing (CI runs as root).
set -u
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian chromium for the browser tests"
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi
exit 0
