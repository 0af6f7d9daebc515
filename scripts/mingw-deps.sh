#!/bin/sh
# Cross-builds the Windows dependencies (libevent, cJSON, cmocka) with
# MinGW-w64 from Debian's own source packages into .deps/mingw, and installs
# the cross compiler and Wine. Reuses .deps/mingw when it is complete.
# Debian ships no MinGW builds of these libraries, hence the source build.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
prefix="$top/.deps/mingw"
src="$top/.deps/src"
host=x86_64-w64-mingw32
jobs=$(nproc 2>/dev/null || echo 2)

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

need=""
for p in gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 mingw-w64-x86-64-dev \
    wine64 dpkg-dev cmake pkg-config; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
	    need="$need $p"
done
if [ -n "$need" ]; then
	echo "mingw-deps: installing$need"
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $need
fi

[ -f "$prefix/.complete" ] && exit 0

# Source packages: enable deb-src beside the deb lines the machine uses.
if ! apt-get source --print-uris -qq cjson >/dev/null 2>&1; then
	srcfile=/etc/apt/sources.list.d/dnswatchdog-deb-src.sources
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
		    $SUDO tee "$srcfile" >/dev/null
	elif [ -f /etc/apt/sources.list ]; then
		grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' |
		    $SUDO tee /etc/apt/sources.list.d/dnswatchdog-deb-src.list >/dev/null
	fi
	$SUDO apt-get update -qq
fi

rm -rf "$src" "$prefix"
mkdir -p "$src" "$prefix"
cd "$src"
apt-get source -qq libevent cjson cmocka >/dev/null 2>&1 ||
    apt-get source libevent cjson cmocka

toolchain="$top/cmake/mingw-w64.cmake"
cross() {	# cross SOURCEDIR [cmake args...]
	dir=$1
	shift
	cmake -S "$dir" -B "$dir/build-mingw" -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
	    -DCMAKE_BUILD_TYPE=Release \
	    -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_POLICY_DEFAULT_CMP0077=NEW "$@" >/dev/null
	cmake --build "$dir/build-mingw" -j "$jobs" >/dev/null
	cmake --install "$dir/build-mingw" >/dev/null
}

cross "$(ls -d cjson-*/ | head -n 1)" -DBUILD_SHARED_LIBS=OFF \
    -DBUILD_SHARED_AND_STATIC_LIBS=OFF -DENABLE_CJSON_TEST=OFF \
    -DENABLE_CJSON_UTILS=OFF -DENABLE_CUSTOM_COMPILER_FLAGS=OFF
cross "$(ls -d libevent-*/ | head -n 1)" -DEVENT__LIBRARY_TYPE=STATIC \
    -DEVENT__DISABLE_OPENSSL=ON -DEVENT__DISABLE_MBEDTLS=ON \
    -DEVENT__DISABLE_TESTS=ON -DEVENT__DISABLE_SAMPLES=ON \
    -DEVENT__DISABLE_BENCHMARK=ON -DEVENT__DISABLE_REGRESS=ON
cross "$(ls -d cmocka-*/ | head -n 1)" -DWITH_STATIC_LIB=ON \
    -DBUILD_SHARED_LIBS=OFF -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF \
    -DPICKY_DEVELOPER=OFF

# Link cmocka statically under the name its .pc file gives (-lcmocka).
cp "$prefix/lib/libcmocka-static.a" "$prefix/lib/libcmocka.a"
rm -f "$prefix/lib/libcmocka.dll.a" "$prefix/bin/cmocka.dll"

touch "$prefix/.complete"
echo "mingw-deps: built into $prefix"
