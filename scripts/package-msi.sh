#!/bin/sh
# Builds dist/dnswatchdog-<version>-x64.msi from the mingw-release build
# with wixl (packaging/windows/dnswatchdog.wxs).
# Usage: scripts/package-msi.sh [BUILD_DIR [OUT_DIR]]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build/mingw-release}
out=${2:-dist}

exe=$build/dnswatchdog.exe
if [ ! -f "$exe" ]; then
	echo "package-msi: no $exe: build the mingw-release preset first" >&2
	exit 1
fi
# MSI versions are three numbers: the project's, not git describe's.
version=$(sed -n 's/^project(dnswatchdog VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$version" ] || { echo "package-msi: no version in CMakeLists.txt" >&2; exit 1; }

mkdir -p "$out"
msi=$(cd "$out" && pwd)/dnswatchdog-$version-x64.msi
wxs=$(pwd)/packaging/windows/dnswatchdog.wxs
# wixl takes File/@Source relative to the current folder.
(cd "$build" && wixl -a x64 -D Version="$version" \
    -D ExeSource=dnswatchdog.exe -o "$msi" "$wxs")
echo "$msi"
