#!/bin/sh
# Install routerd from an unpacked release tarball (`pnpm release:tarball`): the daemon routerd-eventd,
# routerctl and routerd-plugin, the first-party plugins, the routerd user, its directories and the
# service (systemd unit on Linux, rc.d script and newsyslog entry on FreeBSD). POSIX sh; run as root.
#
#   ./install.sh                        # into /usr/local
#   PREFIX=/opt/routerd ./install.sh    # binaries in /opt/routerd/bin, the unit pointed there
#   DESTDIR=/tmp/root ./install.sh      # stage into another root (packaging): no user is created,
#                                       # no owner set, no service manager told; what to do is printed
#
# Layout ($PREFIX defaults to /usr/local):
#   $PREFIX/lib/routerd/<version>/        the packages with their node_modules; `current` links the one in use
#   $PREFIX/bin/routerd-eventd, routerctl, routerd-plugin        links into lib/routerd/current
#   $PREFIX/libexec/routerd/plugins/routerd-plugin-<name>        the plugins' executables (Plugin.spec.executable)
#   Linux:   /etc/routerd (0750 root:routerd), /var/lib/routerd (0700 routerd), /etc/systemd/system/routerd-eventd.service
#   FreeBSD: $PREFIX/etc/routerd, /var/db/routerd, /var/log/routerd, $PREFIX/etc/rc.d/routerd_eventd,
#            $PREFIX/etc/newsyslog.conf.d/routerd.conf
# Installing another version keeps the previous one under lib/routerd/ for a rollback
# (docs/how-to/deploy.md, "Upgrade and roll back"); config, keys and the state directory are never touched.
set -eu
umask 022

here=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
# Which service manager and paths: this machine's, unless told (to stage a FreeBSD root from Linux, say).
os=${ROUTERD_INSTALL_OS:-$(uname -s)}
user=routerd

say() { printf '%s\n' "$*"; }
die() {
	printf 'install.sh: %s\n' "$*" >&2
	exit 1
}

[ -f "$here/RELEASE" ] || die "no RELEASE file beside install.sh: run it from an unpacked release tarball (pnpm release:tarball)"
release() { sed -n "s/^$1=//p" "$here/RELEASE"; }
version=$(release version)
node_abi=$(release node_abi)
[ -n "$version" ] && [ -n "$node_abi" ] || die "$here/RELEASE lacks version or node_abi: the tarball is damaged"

case "$PREFIX" in
/*) ;;
*) die "PREFIX must be an absolute path (got '$PREFIX')" ;;
esac

case "$os" in
Linux)
	confdir=/etc/routerd
	statedir=/var/lib/routerd
	;;
FreeBSD)
	confdir=$PREFIX/etc/routerd
	statedir=/var/db/routerd
	logdir=/var/log/routerd
	;;
*) die "no service files for '$os': Linux (systemd) and FreeBSD (rc.d) are supported; set ROUTERD_INSTALL_OS to stage one of them" ;;
esac

# better-sqlite3 is a native module: it loads only into the Node it was built for.
node=$(command -v node || true)
[ -n "$node" ] || die "node not found on PATH: install Node.js 20.11 or later first (Debian: apt install nodejs; FreeBSD: pkg install node20)"
have_abi=$("$node" -p process.versions.modules)
[ "$have_abi" = "$node_abi" ] ||
	die "this release was built for Node.js module ABI $node_abi ($(release node)), but $node is $("$node" --version) (ABI $have_abi): install that Node.js major, or make the tarball with this one (pnpm release:tarball)"

libdir=$PREFIX/lib/routerd
bindir=$PREFIX/bin
plugindir=$PREFIX/libexec/routerd/plugins

# --- the packages: a new version directory, then `current` pointed at it ----------------------------------
say "installing routerd $version into $DESTDIR$libdir/$version"
mkdir -p "$DESTDIR$libdir"
rm -rf "$DESTDIR$libdir/$version.new"
cp -RP "$here/lib" "$DESTDIR$libdir/$version.new"
rm -rf "$DESTDIR$libdir/$version"
mv "$DESTDIR$libdir/$version.new" "$DESTDIR$libdir/$version"
# -n: replace the link itself, never follow it into the old version's directory (GNU and BSD ln alike).
ln -sfn "$version" "$DESTDIR$libdir/current"

# Relative links, so they resolve the same in DESTDIR and in the final root.
link() { # link TARGET_RELATIVE_TO_DIR DIR NAME
	chmod 0755 "$2/$1"
	ln -sf "$1" "$2/$3"
}
mkdir -p "$DESTDIR$bindir" "$DESTDIR$plugindir"
link ../lib/routerd/current/host/dist/bin/routerd-eventd.js "$DESTDIR$bindir" routerd-eventd
link ../lib/routerd/current/cli/dist/routerctl.js "$DESTDIR$bindir" routerctl
link ../lib/routerd/current/cli/dist/routerd-plugin.js "$DESTDIR$bindir" routerd-plugin
for p in "$here"/lib/plugins/*; do
	name=$(basename "$p")
	link "../../../lib/routerd/current/plugins/$name/dist/main.js" "$DESTDIR$plugindir" "routerd-plugin-$name"
done
# The example configs, and the service files, firewall example and log rotation for reference.
mkdir -p "$DESTDIR$PREFIX/share/routerd"
for d in examples deploy; do
	rm -rf "$DESTDIR$PREFIX/share/routerd/$d"
	cp -R "$here/$d" "$DESTDIR$PREFIX/share/routerd/$d"
done

# --- the user and the directories ---------------------------------------------------------------------------
if [ -n "$DESTDIR" ]; then
	say "DESTDIR is set: not creating the user '$user' nor setting owners. On the target, as root:"
	case "$os" in
	Linux) say "  useradd --system --user-group --home-dir $statedir --no-create-home --shell /usr/sbin/nologin $user" ;;
	FreeBSD) say "  pw useradd $user -d $statedir -s /usr/sbin/nologin -c 'routerd federation daemon'" ;;
	esac
	say "  chown root:$user $confdir $confdir/keys && chown $user:$user $statedir"
	[ "$os" = FreeBSD ] && say "  chown $user:$user $logdir"
	owner_root() { :; }
	owner_user() { :; }
else
	if ! id "$user" >/dev/null 2>&1; then
		say "creating the system user '$user'"
		case "$os" in
		Linux) useradd --system --user-group --home-dir "$statedir" --no-create-home --shell /usr/sbin/nologin "$user" ;;
		FreeBSD) pw useradd "$user" -d "$statedir" -s /usr/sbin/nologin -c 'routerd federation daemon' ;;
		esac
	fi
	owner_root() { chown "root:$user" "$1"; }
	owner_user() { chown "$user:$user" "$1"; }
fi
# The config and keys: root's, readable by the daemon's group, never writable by the daemon.
for d in "$confdir" "$confdir/keys"; do
	mkdir -p "$DESTDIR$d"
	chmod 0750 "$DESTDIR$d"
	owner_root "$DESTDIR$d"
done
# The state directory: the daemon's alone (its database and control socket).
mkdir -p "$DESTDIR$statedir"
chmod 0700 "$DESTDIR$statedir"
owner_user "$DESTDIR$statedir"

# --- the service ----------------------------------------------------------------------------------------------
case "$os" in
Linux)
	unit=/etc/systemd/system/routerd-eventd.service
	mkdir -p "$DESTDIR/etc/systemd/system"
	sed "s|/usr/local/bin/routerd-eventd|$bindir/routerd-eventd|g" "$here/deploy/systemd/routerd-eventd.service" >"$DESTDIR$unit"
	chmod 0644 "$DESTDIR$unit"
	say "installed $unit"
	if [ -z "$DESTDIR" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		systemctl daemon-reload
	fi
	next="put your config in $confdir (see $PREFIX/share/routerd/examples), then: systemctl enable --now routerd-eventd"
	;;
FreeBSD)
	rc=$PREFIX/etc/rc.d/routerd_eventd
	mkdir -p "$DESTDIR$PREFIX/etc/rc.d" "$DESTDIR$PREFIX/etc/newsyslog.conf.d" "$DESTDIR$logdir"
	chmod 0750 "$DESTDIR$logdir"
	owner_user "$DESTDIR$logdir"
	sed -e "s|/usr/local/bin/routerd-eventd|$bindir/routerd-eventd|g" \
		-e "s|/usr/local/bin/node|$node|g" \
		-e "s|/usr/local/etc/routerd|$confdir|g" \
		"$here/deploy/freebsd/routerd_eventd" >"$DESTDIR$rc"
	chmod 0555 "$DESTDIR$rc"
	cp "$here/deploy/freebsd/newsyslog.conf.d/routerd.conf" "$DESTDIR$PREFIX/etc/newsyslog.conf.d/routerd.conf"
	chmod 0644 "$DESTDIR$PREFIX/etc/newsyslog.conf.d/routerd.conf"
	say "installed $rc and $PREFIX/etc/newsyslog.conf.d/routerd.conf"
	next="put your config in $confdir (see $PREFIX/share/routerd/examples), then: sysrc routerd_eventd_enable=YES && service routerd_eventd start"
	;;
esac

say "routerd $version installed: $bindir/routerd-eventd, $bindir/routerctl, plugins in $plugindir"
say "next: $next"
