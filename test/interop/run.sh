#!/usr/bin/env bash
# The interop stage: installs the Debian programs our interop tests talk to (Dovecot,
# Postfix, PostgreSQL, swaks with its TLS modules, fetchmail and getmail6 as POP3 clients, isync's
# mbsync and mutt as IMAP clients, docker-compose and promtool for the ops files), then runs
# test/interop/*.test.ts with vitest. Extra args go to vitest.
#
# The install is skipped when every program is already there, so a second run is fast.
# A program that is still missing after the install fails the tests loudly: nothing skips.
# Daemons and temp dirs that a killed test worker left behind are reaped before and after.
set -euo pipefail

cd "$(dirname "$0")/../.."
# Node 24 (type stripping) from the node@24 devDependency, also when run as plain `bash`.
export PATH="$PWD/node_modules/.bin:$PATH"

# libnet-ssleay-perl + libio-socket-ssl-perl: swaks's STARTTLS / --tls-on-connect.
# docker-compose validates docker-compose.yml (no engine needed); prometheus brings promtool.
# postgresql: the server the PostgreSQL spool's tests start in a temp dir (test/helpers/postgres.ts).
# dovecot-dev and the C toolchain: Dovecot's imaptest, built below from test/interop/imaptest/.
PACKAGES=(dovecot-core dovecot-imapd dovecot-lmtpd dovecot-pop3d postfix swaks
  libnet-ssleay-perl libio-socket-ssl-perl fetchmail getmail6 isync mutt docker-compose prometheus
  postgresql dovecot-dev autoconf automake libtool pkg-config make gcc patch)
# One program (or helper binary) per package, checked before and after the install.
PROGRAMS=(/usr/sbin/dovecot /usr/bin/doveadm /usr/lib/dovecot/imap /usr/lib/dovecot/lmtp
  /usr/lib/dovecot/pop3 /usr/sbin/postfix /usr/sbin/postconf /usr/bin/swaks
  /usr/bin/fetchmail /usr/bin/getmail /usr/bin/mbsync /usr/bin/mutt /usr/bin/docker-compose
  /usr/bin/promtool /usr/include/dovecot/lib.h /usr/bin/autoreconf /usr/bin/libtoolize
  /usr/bin/pkg-config /usr/bin/make /usr/bin/gcc /usr/bin/patch)
PERL_MODULES=(Net::SSLeay IO::Socket::SSL)
# PostgreSQL's server binaries live under a version-numbered path (/usr/lib/postgresql/15/bin).
VERSIONED_PROGRAMS=('/usr/lib/postgresql/*/bin/postgres' '/usr/lib/postgresql/*/bin/initdb')

missing_programs() {
  local p
  for p in "${PROGRAMS[@]}"; do [ -e "$p" ] || echo "$p"; done
  for p in "${PERL_MODULES[@]}"; do perl -M"$p" -e 1 2>/dev/null || echo "perl $p"; done
  for p in "${VERSIONED_PROGRAMS[@]}"; do compgen -G "$p" >/dev/null || echo "$p"; done
}

install_packages() {
  if [ "$(id -u)" != 0 ]; then
    echo "interop: need root to apt-get install ${PACKAGES[*]}" >&2
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # "No configuration": Postfix installs without writing main.cf or starting an instance on :25.
  echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
  # Keep package scripts from starting system Dovecot/Postfix daemons; our tests start their
  # own throwaway instances. Only add the policy file when the machine has none.
  local added_policy=''
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    added_policy=1
  fi
  local rc=0
  local updated=''
  # Update the lists only when apt cannot see the packages yet, or once more when the
  # lists it has are stale (the install then fails to fetch a superseded version).
  if ! apt-cache show "${PACKAGES[@]}" >/dev/null 2>&1; then
    apt-get update -qq || rc=$?
    updated=1
  fi
  if ! apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null; then
    if [ -z "$updated" ]; then
      apt-get update -qq && apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null || rc=$?
    else
      rc=1
    fi
  fi
  if [ -n "$added_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
  return $rc
}

if [ -n "$(missing_programs)" ]; then
  start=$(date +%s)
  echo "interop: installing ${PACKAGES[*]}"
  install_packages || echo "interop: package install failed; the tests will report what is missing" >&2
  echo "interop: install took $(($(date +%s) - start))s"
fi

# Dovecot's imaptest (compliance and stress tester), built once per checkout from the vendored
# source; test/helpers/imaptest.ts finds it there. A failed build fails those tests loudly.
imaptest_start=$(date +%s)
bash test/interop/imaptest/build.sh node_modules/.cache/imaptest ||
  echo "interop: imaptest build failed; its tests will report it" >&2
echo "interop: imaptest ready in $(($(date +%s) - imaptest_start))s"

# A worker killed mid-test (timeout, OOM, Ctrl-C) cannot stop its Dovecot/Postfix; the
# registry in test/helpers/daemon-registry.ts remembers them for this reaper.
node test/helpers/reap-daemons.ts || true
rc=0
npx vitest run --config vitest.interop.config.ts "$@" || rc=$?
node test/helpers/reap-daemons.ts || true
exit $rc
