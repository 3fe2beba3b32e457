#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# test-package.sh — builds the Debian packages from this tree on a clean Debian 12 with
# only the declared build dependencies, checks them with lintian, installs them on a
# throw-away Debian 12 booted with systemd (systemd-nspawn, its own network) as README
# "Installing on a ward machine" says, and checks what an install, key provisioning, the
# kiosk session, an upgrade, remove and purge do.
#
#   test-package.sh SOURCE_DIR WORK_DIR CACHE_DIR
#
# Needs root, lintian, mmdebstrap and systemd-nspawn (`tests/run setup` installs them).
# The two Debian 12 root file systems (one to build in, with the build dependencies; one
# to install on, a fresh Debian 12 whose apt cache holds what the packages depend on and
# recommend, for `apt install` to resolve and install) are made with mmdebstrap from the
# Debian mirror the first time and cached as tarballs in CACHE_DIR (by default
# /var/cache/wardkeep-tests, so that later builds and CI runs on the same machine find
# them), named after their package lists: later runs need no network. Each run unpacks
# fresh copies and deletes them at the end.
set -euo pipefail

src=$(cd "$1" && pwd)
work=$2
cache=$3
suite=bookworm
mirror=${WK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${WK_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

failures=0
checks=0
log () { printf '== %s\n' "$*"; }
pass () { checks=$((checks + 1)); printf 'ok   %s\n' "$*"; }
fail () { checks=$((checks + 1)); failures=$((failures + 1)); printf 'FAIL %s\n' "$*"; }
die () { printf 'test-package: %s\n' "$*" >&2; exit 1; }

for tool in lintian mmdebstrap systemd-nspawn nsenter openssl perl; do
  command -v "$tool" >/dev/null \
    || die "$tool is missing: run 'tests/run setup' as root, which installs it"
done
[ "$(id -u)" -eq 0 ] || die "needs root (it boots a container and installs packages in it)"

rm -rf "$work"
mkdir -p "$work" "$cache"
root=$work/root
build_root=$work/build-root
box_pid=
nspawn_pid=

# A process that has exited but is not yet reaped (our own child) counts as gone.
alive () { local st; st=$(cat "/proc/$1/stat" 2>/dev/null) && [ "$(echo "${st##*) }" | cut -c1)" != Z ]; }

cleanup () {
  # nspawn halts the container on SIGTERM; killing the container's init ends every
  # process in it. The root file system is deleted only once nothing runs in it.
  if [ -n "$nspawn_pid" ] && alive "$nspawn_pid"; then
    kill -TERM "$nspawn_pid" 2>/dev/null || true
    for _ in $(seq 75); do alive "$nspawn_pid" || break; sleep 0.2; done
    if alive "$nspawn_pid"; then
      echo "test-package: the container did not halt within 15 s; killing it" >&2
      [ -n "$box_pid" ] && kill -KILL "$box_pid" 2>/dev/null
      kill -KILL "$nspawn_pid" 2>/dev/null || true
    fi
    wait "$nspawn_pid" 2>/dev/null || true
  fi
  rm -rf "$root" "$build_root"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Debian 12 root file systems --------------------------------------------------------
# root_tarball NAME VARIANT PACKAGES [DOWNLOADS]: a tarball of a Debian 12 root file system
# with PACKAGES installed (mmdebstrap), made once and kept in CACHE_DIR under a name that
# changes with the lists; older ones of the same NAME are deleted. Debian 12 as a machine
# installed today has it: with its updates and security updates. The packages this
# machine has downloaded already (tests/run setup installs most of them) are used, not
# fetched again. DOWNLOADS (packages, with what they depend on and recommend) are only
# downloaded into its apt cache, and its package lists are kept, so that `apt install`
# of them works there without a network, as on a machine that can reach the mirror.
root_tarball () {
  local name=$1 variant=$2 packages=$3 download=${4:-} key tarball started extra=()
  if [ -n "$download" ]; then
    # Of this machine's downloads, keep what installing DOWNLOADS takes; fetch the rest.
    extra=(--skip=cleanup/apt/lists --skip=cleanup/apt/cache --customize-hook='set -e
      archives="$1/var/cache/apt/archives"
      mkdir "$1/tmp/wk-keep"
      chroot "$1" apt-get install -s -y -o APT::Install-Recommends=true '"${download//,/ }"' \
        | sed -n "s/^Inst \([^ ]*\) (\([^ ]*\) .*/\1_\2/p" | sed "s/:/%3a/" \
        | while read -r name_version; do
            for deb in "$archives/${name_version}"_*.deb; do
              if [ -f "$deb" ]; then mv "$deb" "$1/tmp/wk-keep/"; fi
            done
          done
      find "$archives" -maxdepth 1 -name "*.deb" -delete
      find "$1/tmp/wk-keep" -name "*.deb" -exec mv -t "$archives" {} +
      rmdir "$1/tmp/wk-keep"
      chroot "$1" apt-get install --download-only -y -q -o APT::Install-Recommends=true \
        '"${download//,/ }"'')
  fi
  # The name changes with everything that makes the tarball, hooks included.
  key=$(printf '%s %s %s %s %s%s\n' "$suite" "$mirror" "$security" "$variant" "$packages" \
          "${extra[*]:+ ${extra[*]}}" | sha256sum | cut -c1-16)
  tarball="$cache/$name-$suite-$key.tar"
  if [ ! -f "$tarball" ]; then
    log "making a Debian 12 root file system for the $name (once; cached as $tarball)" >&2
    started=$SECONDS
    mmdebstrap --variant="$variant" --format=tar --include="$packages" \
      --setup-hook='mkdir -p "$1/var/cache/apt/archives"
        for deb in /var/cache/apt/archives/*.deb; do
          [ -f "$deb" ] && { ln "$deb" "$1/var/cache/apt/archives/" 2>/dev/null ||
                             cp "$deb" "$1/var/cache/apt/archives/"; }
        done; true' "${extra[@]}" \
      "$suite" "$tarball.tmp" "deb $mirror $suite main" "deb $mirror $suite-updates main" \
      "deb $security $suite-security main" >"$work/mmdebstrap-$name.log" 2>&1 \
      || { rm -f "$tarball.tmp"; tail -20 "$work/mmdebstrap-$name.log" >&2
           die "mmdebstrap failed (is $mirror reachable?)"; }
    mv "$tarball.tmp" "$tarball"
    find "$cache" -name "$name-$suite-*.tar" ! -name "$(basename "$tarball")" -delete
    log "made in $((SECONDS - started)) s" >&2
  fi
  echo "$tarball"
}

# --- build ------------------------------------------------------------------------------
# On a clean Debian 12 with only build-essential and the declared Build-Depends (the
# nocheck profile: the tests have run already), so that a missing one fails here.
# dpkg-buildpackage writes next to the source folder: /build/wardkeep -> /build/*.deb.
build_deps=$(perl -MDpkg::Control::Info -MDpkg::Deps -e '
  my $source = Dpkg::Control::Info->new($ARGV[0])->get_source;
  my $deps = deps_parse($source->{"Build-Depends"}, build_dep => 1, reduce_profiles => 1,
                        build_profiles => ["nocheck"]);
  print join(",", map { ($_->isa("Dpkg::Deps::OR") ? ($_->get_deps)[0] : $_)->{package} }
                      $deps->get_deps);' "$src/debian/control" | sed 's/debhelper-compat/debhelper/')
build_tarball=$(root_tarball build buildd "$build_deps")
log "building the packages (dpkg-buildpackage -us -uc -b, nocheck) on a clean Debian 12"
mkdir -p "$build_root/build/wardkeep"
tar -xf "$build_tarball" -C "$build_root"
git -C "$src" ls-files -z -co --exclude-standard \
  | (cd "$src" && tar --null -T - -cf -) | tar -xf - -C "$build_root/build/wardkeep"
started=$SECONDS
if ! systemd-nspawn --quiet --register=no --keep-unit --private-network --as-pid2 \
       -D "$build_root" --chdir=/build/wardkeep \
       env DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" DEB_BUILD_PROFILES=nocheck \
       DPKG_COLORS=never dpkg-buildpackage -us -uc -b \
       >"$work/build.log" 2>&1; then
  tail -40 "$work/build.log"
  die "dpkg-buildpackage failed (whole log: $work/build.log)"
fi
log "built in $((SECONDS - started)) s"
cp "$build_root"/build/*.deb "$build_root"/build/*.changes "$build_root"/build/*.buildinfo "$work/"
rm -rf "$build_root"
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)
debs=("$work/wardkeep_${version}_${arch}.deb" "$work/wardkeep-kiosk_${version}_${arch}.deb")
changes="$work/wardkeep_${version}_${arch}.changes"
for deb in "${debs[@]}"; do [ -f "$deb" ] || die "dpkg-buildpackage made no $deb"; done

# --- lintian ----------------------------------------------------------------------------
log "lintian --pedantic --fail-on error,warning"
if lintian --pedantic --fail-on error,warning --display-info "$changes" >"$work/lintian.log" 2>&1; then
  pass "lintian: no errors, no warnings"
else
  fail "lintian reports errors or warnings:"
fi
grep -v '^running with root privileges' "$work/lintian.log" | sed 's/^/     /' || true

# What each package holds, for the checks below and for a person reading the log.
for deb in "${debs[@]}"; do
  dpkg-deb -c "$deb" | awk '{ print $1, $2, $6 }' >"${deb%.deb}.contents"
done
contents_has () { # DEB PATH MODE OWNER
  local line
  line=$(grep -E " \\./${2#/}\$" "${1%.deb}.contents" || true)
  if [ -z "$line" ]; then
    fail "$(basename "$1") holds $2"
  elif [ "${line%% *}" != "$3" ] || [ "$(echo "$line" | cut -d' ' -f2)" != "$4" ]; then
    fail "$(basename "$1") holds $2 as $3 $4 (it is: $line)"
  else
    pass "$(basename "$1") holds $2 ($3 $4)"
  fi
}
contents_has "${debs[0]}" /usr/bin/wardkeep -rwxr-xr-x root/root
contents_has "${debs[0]}" /etc/wardkeep/wardkeep.conf -rw-r--r-- root/root
contents_has "${debs[0]}" /usr/lib/sysusers.d/wardkeep.conf -rw-r--r-- root/root
contents_has "${debs[0]}" /usr/lib/tmpfiles.d/wardkeep.conf -rw-r--r-- root/root
contents_has "${debs[0]}" /usr/share/man/man1/wardkeep.1.gz -rw-r--r-- root/root
contents_has "${debs[0]}" /usr/bin/wardkeep-sim -rwxr-xr-x root/root
contents_has "${debs[0]}" /usr/share/man/man1/wardkeep-sim.1.gz -rw-r--r-- root/root
contents_has "${debs[1]}" /lib/systemd/system/wardkeep-kiosk.service -rw-r--r-- root/root
contents_has "${debs[1]}" /etc/pam.d/wardkeep-kiosk -rw-r--r-- root/root
contents_has "${debs[1]}" /usr/lib/sysusers.d/wardkeep-kiosk.conf -rw-r--r-- root/root
contents_has "${debs[0]}" /usr/sbin/wardkeepd -rwxr-xr-x root/root
contents_has "${debs[0]}" /lib/systemd/system/wardkeepd.service -rw-r--r-- root/root
contents_has "${debs[0]}" /usr/share/man/man8/wardkeepd.8.gz -rw-r--r-- root/root
contents_has "${debs[1]}" /usr/bin/wardkeep-kiosk -rwxr-xr-x root/root
contents_has "${debs[1]}" /usr/share/man/man1/wardkeep-kiosk.1.gz -rw-r--r-- root/root

# --- a throw-away Debian 12 -------------------------------------------------------------
# A fresh Debian 12 with systemd and no desktop. What the packages depend on and recommend
# (first alternatives, no versions) is in its apt cache, not installed: `apt install
# ./*.deb` resolves and installs it as on a ward machine, with no network (the container
# has none), so a dependency the packages do not declare is missing there.
relations () { # FIELD: the packages the two packages name in FIELD
  for deb in "${debs[@]}"; do dpkg-deb -f "$deb" "$1"; done \
    | tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/[[:space:]]//g' \
    | grep -v -E '^(wardkeep|wardkeep-kiosk)?$' | sort -u | paste -sd, -
}
downloads=$(relations Depends),$(relations Recommends)
tarball=$(root_tarball machine minbase "systemd,systemd-sysv,dbus,libpam-systemd,man-db" \
                       "${downloads%,}")
mkdir -p "$root"
tar -xf "$tarball" -C "$root"
mkdir -p "$root/root/debs"
cp "${debs[@]}" "$root/root/debs/"

log "booting it (systemd-nspawn --boot, private network)"
systemd-nspawn --quiet --register=no --keep-unit --private-network \
  --boot --console=pipe -D "$root" >"$work/container.log" 2>&1 &
nspawn_pid=$!
for _ in $(seq 100); do
  box_pid=$(pgrep -P "$nspawn_pid" -x systemd || true)
  [ -n "$box_pid" ] && break
  sleep 0.2
done
[ -n "$box_pid" ] || die "the container did not start (log: $work/container.log)"

# Runs a shell command line as root inside the container, with a clean environment.
box () {
  nsenter -t "$box_pid" -a -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    HOME=/root DEBIAN_FRONTEND=noninteractive /bin/sh -c "$1"
}
state=
for _ in $(seq 120); do
  state=$(box 'systemctl is-system-running' 2>/dev/null || true)
  case "$state" in running | degraded) break ;; esac
  sleep 0.5
done
case "$state" in
  running | degraded) log "container is up ($state)" ;;
  *) die "the container did not finish booting ($state)" ;;
esac

# check DESCRIPTION COMMAND: the command line, run in the container, succeeds.
check () {
  local out
  if out=$(box "$2" 2>&1); then
    pass "$1"
  else
    fail "$1"
    printf '%s\n' "$out" | sed 's/^/     /'
  fi
}
# expect DESCRIPTION COMMAND EXPECTED: the command's output is exactly EXPECTED.
expect () {
  local out
  out=$(box "$2" 2>&1 || true)
  if [ "$out" = "$3" ]; then
    pass "$1"
  else
    fail "$1: expected \"$3\", got:"
    printf '%s\n' "$out" | sed 's/^/     /'
  fi
}

# logged DESCRIPTION LOG COMMAND: the command succeeds; its output goes to WORK_DIR/LOG.
logged () {
  if box "$3" >"$work/$2" 2>&1 </dev/null; then
    pass "$1"
  else
    fail "$1 (whole output: $work/$2):"
    tail -30 "$work/$2" | sed 's/^/     /'
  fi
}

# --- install, as the README says -------------------------------------------------------
log "apt install ./wardkeep_*.deb ./wardkeep-kiosk_*.deb"
logged "both packages install, with what they depend on and recommend" install.log \
  'cd /root/debs && apt install -y ./wardkeep_*.deb ./wardkeep-kiosk_*.deb'
if grep -q -i -E '(^|[^-])(error|failed)' "$work/install.log"; then
  fail "the install prints no error:"
  grep -i -E '(^|[^-])(error|failed)' "$work/install.log" | sed 's/^/     /'
else
  pass "the install prints no error"
fi
expect "dpkg says both are installed" \
  "dpkg-query -W -f '\${Package} \${Status}\n' wardkeep wardkeep-kiosk" \
  "wardkeep install ok installed
wardkeep-kiosk install ok installed"
expect "wardkeep --version" "wardkeep --version" "wardkeep $version"
expect "wardkeepd --version" "wardkeepd --version" "wardkeepd $version"
check "wardkeep-sim runs" "wardkeep-sim --help | grep -q 'simulated'"
check "wardkeep-kiosk runs" "wardkeep-kiosk --help | grep -q 'touch screen'"
for page in wardkeep.1 wardkeep-sim.1 wardkeep-kiosk.1 wardkeepd.8; do
  check "man ${page%.*} renders without warnings" \
    'test -z "$(MANWIDTH=80 man --warnings -E UTF-8 -l /usr/share/man/man'"${page##*.}/$page"'.gz 2>&1 >/dev/null)"'
  check "man ${page%.*} finds the page" "man -w ${page%.*}"
done

# Users and groups.
expect "system user wardkeep: no login shell, home is the state folder" \
  "getent passwd wardkeep | cut -d: -f6,7" "/var/lib/wardkeep:/usr/sbin/nologin"
expect "system user wardkeep-kiosk: no login shell, home is its state folder" \
  "getent passwd wardkeep-kiosk | cut -d: -f6,7" "/var/lib/wardkeep-kiosk:/usr/sbin/nologin"
expect "wardkeep-kiosk is in the group wardkeep (reads snapshots, uses the socket)" \
  "id -nG wardkeep-kiosk | tr ' ' '\n' | grep -x wardkeep" "wardkeep"
expect "both are system users (uid below 1000)" \
  'for u in wardkeep wardkeep-kiosk; do [ "$(id -u $u)" -lt 1000 ] && echo $u; done' \
  "wardkeep
wardkeep-kiosk"
expect "neither has a password" \
  "getent shadow wardkeep wardkeep-kiosk | cut -d: -f2 | sort -u" '!*'

# Configuration and files.
expect "conffiles of wardkeep" \
  "dpkg-query -W -f '\${Conffiles}\n' wardkeep | awk 'NF { print \$1 }'" \
  "/etc/wardkeep/wardkeep.conf"
expect "conffiles of wardkeep-kiosk" \
  "dpkg-query -W -f '\${Conffiles}\n' wardkeep-kiosk | awk 'NF { print \$1 }'" \
  "/etc/pam.d/wardkeep-kiosk"
check "the installed configuration passes 'wardkeep config check'" "wardkeep config check"
expect "/etc/credstore.encrypted is made for the sealed key, root only" \
  "stat -c '%a %U:%G' /etc/credstore.encrypted" "700 root:root"

# Units.
for unit in wardkeepd.service wardkeep-kiosk.service; do
  check "systemd-analyze verify $unit" "systemd-analyze verify $unit"
done
expect "the daemon is enabled by the install" "systemctl is-enabled wardkeepd.service" "enabled"
expect "... and its start waits for a key (skipped by its condition, not failed)" \
  "systemctl is-active wardkeepd.service; systemctl show -P ConditionResult wardkeepd.service" \
  "inactive
no"
expect "the kiosk session is not enabled by the install" \
  "systemctl is-enabled wardkeep-kiosk.service" "disabled"
expect "the kiosk session is not started by the install" \
  "systemctl is-active wardkeep-kiosk.service" "inactive"

# --- key provisioning and the daemon, as the README says --------------------------------
log "provisioning the key (wardkeep key init; systemd-creds encrypt; shred)"
check "wardkeep key init" "wardkeep key init >/root/key-init.txt"
check "its output says how to seal the key for this machine" \
  "grep -F 'systemd-creds encrypt --name=wardkeep.key --with-key=auto /etc/wardkeep/wardkeep.key' /root/key-init.txt"
check "wardkeepd --check-config (the configuration and the new key file)" \
  "wardkeepd --check-config"
# README "Keys": a plain key file instead of a sealed one, the daemon's user's alone.
check "with the plain key file (chown wardkeep:wardkeep, 0600) the daemon starts and reads it" \
  'chown wardkeep:wardkeep /etc/wardkeep/wardkeep.key && systemctl restart wardkeepd &&
   systemctl is-active wardkeepd &&
   journalctl -u wardkeepd -o cat | grep -q "from /etc/wardkeep/wardkeep.key) loads"'
check "... which the kiosk's user cannot read" \
  "! setpriv --reuid=wardkeep-kiosk --regid=wardkeep-kiosk --init-groups cat /etc/wardkeep/wardkeep.key >/dev/null 2>&1"
public=$(box 'wardkeep key public' 2>/dev/null || true)
check "the key is sealed to this machine" \
  "systemd-creds encrypt --name=wardkeep.key --with-key=auto /etc/wardkeep/wardkeep.key /etc/credstore.encrypted/wardkeep.key 2>/dev/null"
check "the plain key file is shredded" "shred -u /etc/wardkeep/wardkeep.key"
# A service sees the sealed key as its credential, and derives the same public key from it.
expect "a unit with LoadCredentialEncrypted=wardkeep.key reads the sealed key" \
  "systemd-run --quiet --pipe --wait -p LoadCredentialEncrypted=wardkeep.key wardkeep key public" \
  "$public"
expect "... also as the kiosk's user" \
  "systemd-run --quiet --pipe --wait -p User=wardkeep-kiosk -p LoadCredentialEncrypted=wardkeep.key wardkeep key public" \
  "$public"
check "wardkeepd --check-config loads the sealed key as its credential" \
  "systemd-run --quiet --pipe --wait -p LoadCredentialEncrypted=wardkeep.key wardkeepd --check-config | grep -q 'from systemd credential wardkeep.key'"

# The feed over TLS, as README "The MLLP listener" has a hospital run it: a certificate for
# the daemon, signed by a CA the simulator (the interface engine) trusts. GIO's TLS comes
# from glib-networking, which the package must pull in.
tls=$work/tls
mkdir -p "$tls" "$root/root/tls"
if ! (cd "$tls" &&
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
        -out ca.pem -days 2 -subj /CN=wardkeep-package-test-ca &&
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout feed.key \
        -out feed.csr -subj /CN=127.0.0.1 &&
      printf 'subjectAltName = IP:127.0.0.1\n' >feed.ext &&
      openssl x509 -req -in feed.csr -CA ca.pem -CAkey ca.key -set_serial 2 -days 2 \
        -extfile feed.ext -out feed.pem) >"$work/openssl.log" 2>&1; then
  cat "$work/openssl.log"
  die "openssl could not make the feed's test certificate"
fi
cp "$tls/ca.pem" "$tls/feed.pem" "$tls/feed.key" "$root/root/tls/"
check "the feed's certificate and key installed as the README says" \
  'install -m 0644 /root/tls/feed.pem /etc/wardkeep/feed.pem &&
   install -m 0600 -o wardkeep -g wardkeep /root/tls/feed.key /etc/wardkeep/feed.key &&
   printf "\n[feed]\ntls-certificate = /etc/wardkeep/feed.pem\ntls-key = /etc/wardkeep/feed.key\n" \
     >>/etc/wardkeep/wardkeep.conf'
check "... and the configuration with TLS passes 'wardkeep config check'" "wardkeep config check"
check "... the key is not readable by the kiosk's user" \
  "! setpriv --reuid=wardkeep-kiosk --regid=wardkeep-kiosk --init-groups cat /etc/wardkeep/feed.key >/dev/null 2>&1"

check "systemctl restart wardkeepd" "systemctl restart wardkeepd"
check "the daemon is running, as wardkeep" \
  "systemctl is-active wardkeepd && [ \"\$(ps -o user= -C wardkeepd)\" = wardkeep ]"
expect "its state folder /var/lib/wardkeep (StateDirectory) is 0710 wardkeep:wardkeep" \
  "stat -c '%a %U:%G' /var/lib/wardkeep" "710 wardkeep:wardkeep"
expect "its control socket /run/wardkeep/control is 0660, group wardkeep" \
  "stat -c '%a %G' /run/wardkeep/control" "660 wardkeep"
check "wardkeep status answers" "wardkeep status >/dev/null"
check "... also to the kiosk's user" \
  "setpriv --reuid=wardkeep-kiosk --regid=wardkeep-kiosk --init-groups wardkeep status >/dev/null"
check "... and to nobody else" \
  "! setpriv --reuid=nobody --regid=nogroup --clear-groups wardkeep status >/dev/null 2>&1"

# The hospital's feed (the simulator), into the daemon's snapshots.
log "feeding the daemon over TLS (wardkeep-sim --feed 127.0.0.1:2575 --tls-ca ... --messages 20)"
check "every message of the feed, over TLS, is acknowledged" \
  "wardkeep-sim --feed 127.0.0.1:2575 --tls-ca /root/tls/ca.pem --messages 20 --quiet --connect-timeout 20"
check "... and a plain connection is refused" \
  "! timeout 60 wardkeep-sim --feed 127.0.0.1:2575 --messages 1 --quiet --connect-timeout 5 >/dev/null 2>&1"
check "the daemon writes a snapshot" \
  'for i in $(seq 60); do ls /var/lib/wardkeep/snapshots/*.wks >/dev/null 2>&1 && exit 0; sleep 0.5; done; exit 1'
expect "... in snapshots/ 0750, each file 0640, wardkeep:wardkeep" \
  "stat -c '%a %U:%G' /var/lib/wardkeep/snapshots; stat -c '%a %U:%G' /var/lib/wardkeep/snapshots/*.wks | sort -u" \
  "750 wardkeep:wardkeep
640 wardkeep:wardkeep"
check "the kiosk's user can read the snapshots" \
  "setpriv --reuid=wardkeep-kiosk --regid=wardkeep-kiosk --init-groups sh -c 'cat /var/lib/wardkeep/snapshots/*.wks >/dev/null'"
check "... but cannot list the state folder" \
  "! setpriv --reuid=wardkeep-kiosk --regid=wardkeep-kiosk --init-groups ls /var/lib/wardkeep >/dev/null 2>&1"
check "... and nobody else can enter it" \
  "! setpriv --reuid=nobody --regid=nogroup --clear-groups ls /var/lib/wardkeep/snapshots >/dev/null 2>&1"
check "the snapshots verify with the sealed key" \
  "systemd-run --quiet --pipe --wait -p LoadCredentialEncrypted=wardkeep.key wardkeep snapshot verify"

# --- the kiosk session, as the README says and as far as a container can run it ---------
log "enabling and starting the kiosk session (headless: no tty1, no GPU in a container)"
check "systemctl enable wardkeep-kiosk.service" "systemctl enable wardkeep-kiosk.service"
check "... makes the kiosk part of the graphical boot" \
  "test -L /etc/systemd/system/graphical.target.wants/wardkeep-kiosk.service"
expect "... which is the default target" "systemctl get-default" "graphical.target"
# A container has no virtual terminal and no GPU: a drop-in runs the unit without tty1
# and puts cage on wlroots' headless backend with software rendering. The rest is the
# unit as shipped: its user, PAM and logind session, credential, and restarts.
box 'mkdir -p /etc/systemd/system/wardkeep-kiosk.service.d
printf "%s\n" "[Unit]" "ConditionPathExists=" "[Service]" "TTYPath=" "StandardInput=null" \
  "Environment=WLR_BACKENDS=headless WLR_LIBINPUT_NO_DEVICES=1 WLR_RENDERER=pixman" \
  >/etc/systemd/system/wardkeep-kiosk.service.d/container.conf
systemctl daemon-reload'
check "systemctl start wardkeep-kiosk" "systemctl start wardkeep-kiosk.service"
check "... opens a logind session of the user wardkeep-kiosk" \
  "sleep 1; journalctl -b -u systemd-logind | grep -q 'New session .* of user wardkeep-kiosk'"
check "... runs wardkeep-kiosk under cage, as wardkeep-kiosk, on Wayland" \
  'for i in $(seq 50); do p=$(pgrep -u wardkeep-kiosk -x wardkeep-kiosk) && break; sleep 0.2; done
   [ -n "$p" ] && [ "$(ps -o comm= -p "$(ps -o ppid= -p "$p" | tr -d " ")")" = cage ] &&
   tr "\0" "\n" </proc/$p/environ | grep -q "^WAYLAND_DISPLAY="'
check "... with the sealed key as its credential" \
  "test -s /run/credentials/wardkeep-kiosk.service/wardkeep.key"
# The program runs in its logind session's scope: its messages are found by identifier.
check "... follows the daemon over its control socket" \
  'for i in $(seq 50); do journalctl -b -t wardkeep-kiosk | grep -q "Following the daemon at /run/wardkeep/control" && exit 0; sleep 0.2; done; exit 1'
check "... and shows the daemon's newest snapshot" \
  'for i in $(seq 50); do journalctl -b -t wardkeep-kiosk | grep -q "Showing snapshot [0-9]" && exit 0; sleep 0.2; done; exit 1'
# restarted DESCRIPTION COMMAND: once COMMAND has run, the unit's restart counter grows.
restarted () {
  check "$1" 'before=$(systemctl show -P NRestarts wardkeep-kiosk)
    '"$2"'
    for i in $(seq 50); do
      [ "$(systemctl show -P NRestarts wardkeep-kiosk)" -gt "$before" ] && exit 0
      sleep 0.2
    done
    exit 1'
}
restarted "... is restarted when wardkeep-kiosk is killed" \
  "pkill -KILL -u wardkeep-kiosk -x wardkeep-kiosk"
restarted "... and when cage is killed" "sleep 1; pkill -KILL -u wardkeep-kiosk -x cage"
kiosk_pid=$(box 'sleep 3; systemctl show -P MainPID wardkeep-kiosk' 2>/dev/null || true)
daemon_pid=$(box 'systemctl show -P MainPID wardkeepd' 2>/dev/null || true)

# --- upgrade: the same packages again keep a changed configuration -----------------------
log "reinstalling over the installed packages (the upgrade path)"
box "sed -i 's/^name = .*/name = Ward 7A (edited on this machine)/' /etc/wardkeep/wardkeep.conf"
logged "reinstalling works" upgrade.log 'cd /root/debs && dpkg -i ./wardkeep_*.deb ./wardkeep-kiosk_*.deb'
check "a changed /etc/wardkeep/wardkeep.conf is kept" \
  "grep -qx 'name = Ward 7A (edited on this machine)' /etc/wardkeep/wardkeep.conf"
check "the daemon is restarted (new programs)" \
  '[ "$(systemctl show -P MainPID wardkeepd)" != '"${daemon_pid:-0}"' ] && systemctl is-active wardkeepd'
expect "the enabled kiosk session stays enabled" \
  "systemctl is-enabled wardkeep-kiosk.service" "enabled"
check "the running kiosk session is restarted (new programs)" \
  '[ "$(systemctl show -P MainPID wardkeep-kiosk)" != '"${kiosk_pid:-0}"' ] && systemctl is-active wardkeep-kiosk'

# --- remove and purge, as README "Removing" says ----------------------------------------
log "apt-get remove wardkeep-kiosk wardkeep"
check "remove works" "apt-get remove -y wardkeep-kiosk wardkeep >/dev/null 2>&1"
check "remove deletes the programs" "! test -e /usr/bin/wardkeep && ! test -e /usr/sbin/wardkeepd"
check "remove stops the daemon and the kiosk session" \
  "! systemctl is-active wardkeepd.service && ! systemctl is-active wardkeep-kiosk.service"
check "remove keeps the configuration" "test -f /etc/wardkeep/wardkeep.conf"
check "remove keeps the snapshots" "ls /var/lib/wardkeep/snapshots/*.wks"
check "remove keeps the users" "getent passwd wardkeep && getent passwd wardkeep-kiosk"

log "apt-get purge wardkeep-kiosk wardkeep"
check "purge works" "apt-get purge -y wardkeep-kiosk wardkeep >/dev/null 2>&1"
expect "purge deletes the configuration, and keeps the files the administrator added" \
  "ls -A /etc/wardkeep" "feed.key
feed.pem"
check "purge deletes the state folder and every snapshot" "! test -e /var/lib/wardkeep"
check "purge deletes the kiosk user's home" "! test -e /var/lib/wardkeep-kiosk"
check "purge keeps the sealed key (the administrator's)" \
  "test -f /etc/credstore.encrypted/wardkeep.key"
check "purge keeps the users (their ids may still own files)" \
  "getent passwd wardkeep && getent passwd wardkeep-kiosk"
check "purge leaves no unit enabled" \
  "! find /etc/systemd/system -type l -name 'wardkeep*' | grep -q ."

printf '%d passed, %d failed\n' $((checks - failures)) "$failures"
[ "$failures" -eq 0 ]
