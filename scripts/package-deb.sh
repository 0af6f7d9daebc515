#!/bin/sh
# Builds dist/dnswatchdog_<version>_amd64.deb from the release build:
# cmake --install into a staging tree, the control files from
# packaging/debian, Depends from dpkg-shlibdeps, dpkg-deb --root-owner-group.
# Usage: scripts/package-deb.sh [BUILD_DIR [OUT_DIR]]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build/release}
out=${2:-dist}
src=packaging/debian

if [ ! -x "$build/dnswatchdog" ]; then
	echo "package-deb: no $build/dnswatchdog: build the release preset first" >&2
	exit 1
fi
version=$(sed -n 's/^project(dnswatchdog VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$version" ] || { echo "package-deb: no version in CMakeLists.txt" >&2; exit 1; }
# The Maintainer field: DW_DEB_MAINTAINER, else the git identity, else
# the project's (a machine without a git identity still packages).
if [ -z "${DW_DEB_MAINTAINER:-}" ]; then
	name=$(git config user.name 2>/dev/null || true)
	mail=$(git config user.email 2>/dev/null || true)
	if [ -n "$name" ] && [ -n "$mail" ]; then
		DW_DEB_MAINTAINER="$name <$mail>"
	else
		DW_DEB_MAINTAINER="DNS Watchdog maintainers <maintainers@dnswatchdog.org>"
	fi
fi
maint=$DW_DEB_MAINTAINER

stage=$(pwd)/$build/deb-stage
rm -rf "$stage"
DESTDIR=$stage cmake --install "$build" >/dev/null
doc=$stage/usr/share/doc/dnswatchdog
install -m 0644 $src/copyright "$doc/copyright"
sed -e "s/@VERSION@/$version/" -e "s|@MAINTAINER@|$maint|" $src/changelog.in | gzip -9n >"$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"
install -d "$stage/usr/share/lintian/overrides"
install -m 0644 $src/lintian-overrides "$stage/usr/share/lintian/overrides/dnswatchdog"

# Depends: the shared libraries the program links, as packages.
mkdir -p "$build/deb-shlibs/debian"
printf 'Source: dnswatchdog\n\nPackage: dnswatchdog\nArchitecture: amd64\n' \
    >"$build/deb-shlibs/debian/control"
depends=$(cd "$build/deb-shlibs" && dpkg-shlibdeps -O \
    "$stage/usr/sbin/dnswatchdog" 2>/dev/null |
    sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "package-deb: dpkg-shlibdeps found nothing" >&2; exit 1; }

mkdir -p "$stage/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" -e "s/@DEPENDS@/$depends/" -e "s|@MAINTAINER@|$maint|" \
    $src/control.in >"$stage/DEBIAN/control"
install -m 0644 $src/conffiles "$stage/DEBIAN/conffiles"
for s in postinst prerm postrm; do
	install -m 0755 "$src/$s" "$stage/DEBIAN/$s"
done
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -print0 |
    sort -z | xargs -0 md5sum | sed 's# \./# #') >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/md5sums"
find "$stage" -type d -exec chmod 0755 {} +

mkdir -p "$out"
deb=$out/dnswatchdog_${version}_amd64.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
