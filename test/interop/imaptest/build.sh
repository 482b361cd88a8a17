#!/usr/bin/env bash
# Builds Dovecot's imaptest (the IMAP compliance and stress tester) against Debian's Dovecot
# 2.3 headers, from the source kept beside this script (vendored unchanged: the upstream
# tarball and a patch for 2.3; a test tool, never shipped), into DEST:
#   DEST/imaptest      the program (run it with LD_LIBRARY_PATH=/usr/lib/dovecot)
#   DEST/tests/        its scripted compliance tests (test=DEST/tests)
#
#   bash build.sh DEST        (as root: installs its Debian build dependencies first)
#
# Source: dovecot/imaptest at commit 924f619, the newest that builds on Dovecot 2.3.19;
# dovecot-2.3.patch adds the 4th argument that 2.3's imap_parser_create() takes.
# Usage of the program: https://dovecot.github.io/imaptest/ (host= port= user= pass= user2=
# test=DIR for the scripted tests; mbox= clients= secs= for stress with state checking).
# Facts measured with it against Dovecot 2.3.19 on this machine type: the scripted tests run
# 67 groups with 0 failures (4 more need URLAUTH/SORT partials and are skipped); they need
# user2= and a mailbox named `imaptest` that exists for user2.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:?usage: build.sh DEST}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
if [ -x "$dest/imaptest" ] && [ -d "$dest/tests" ]; then exit 0; fi

need=()
for p in dovecot-dev dovecot-imapd autoconf automake libtool pkg-config make gcc patch; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xzf "$here/imaptest-924f619.tar.gz" -C "$work"
cd "$work/imaptest"
patch -p1 -s < "$here/dovecot-2.3.patch"
echo "0.0.0-924f619" > version
./autogen.sh >/dev/null 2>&1
./configure -q --with-dovecot=/usr/lib/dovecot >/dev/null
make -s -j"$(nproc)" >/dev/null 2>&1
cp src/imaptest "$dest/imaptest"
rm -rf "$dest/tests" && cp -r src/tests "$dest/tests"
echo "imaptest built: $dest/imaptest (tests in $dest/tests)"
