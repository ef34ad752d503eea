#!/usr/bin/env bash
# Puts nats-server 2.10 (with auth callout) in tools/nats/ for the tests and
# the native stack: Debian bookworm's own nats-server is 2.9, so the package
# of Debian's next release is downloaded with a temporary sources list that
# reuses this machine's own Debian mirror, and unpacked — nothing is installed
# system-wide.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest="$here/nats"
bin="$dest/usr/sbin/nats-server"
if [ -x "$bin" ] && "$bin" --version | grep -q 'v2\.1[0-9]'; then
	echo "$bin"
	exit 0
fi
# The mirror this machine already uses for Debian (deb822 or one-line lists).
mirror=$( { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources; grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list; } \
	| grep -v security | awk '{print $2}' | head -n 1 || true)
if [ -z "$mirror" ]; then
	echo "fetch-nats-server: no Debian mirror found in /etc/apt" >&2
	exit 1
fi
suite=${NATS_SUITE:-trixie}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/archives/partial"
echo "deb $mirror $suite main" >"$work/sources.list"
apt_opts=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=-" -o "Dir::State::Lists=$work/lists"
	  -o "Dir::Cache::Archives=$work/archives" -o "Dir::State::status=/var/lib/dpkg/status" -o "APT::Sandbox::User=root"
	  -o "Debug::NoLocking=1")
apt-get "${apt_opts[@]}" update -qq >&2
(cd "$work" && apt-get "${apt_opts[@]}" download nats-server >&2)
mkdir -p "$dest"
dpkg -x "$work"/nats-server_*.deb "$dest"
"$bin" --version >&2
echo "$bin"
