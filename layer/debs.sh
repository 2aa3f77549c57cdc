# Sourced by layer/build.sh and image/build.sh: fetch Debian packages into a
# cache outside the repository and extract them, without installing them.
#
#   fetch_debs DEBARCH CACHE ROOT PKG...
#
# Each PKG (a name, or name:arch) is downloaded with `apt-get download` into
# CACHE unless a copy with the SHA256 of apt's lists is there already, then
# extracted into ROOT with `dpkg-deb -x`. Prints one line per package:
# deb<TAB>FILE<TAB>sha256:HEX. Once cached, it works offline.
fetch_debs() {
	local debarch=$1 cache=$2 root=$3
	shift 3
	local uris_dir line file sum
	uris_dir=$(mktemp -d)
	# One apt call for all: each apt start costs about a second.
	# Lines: 'URL' FILE SIZE SHA256:HEX, from the local lists (no network). Asked
	# in an empty directory: apt prints nothing for a file already in the cwd.
	local -a uris
	mapfile -t uris < <(cd "$uris_dir" && apt-get download --print-uris "$@")
	rmdir "$uris_dir"
	if [ "${#uris[@]}" != "$#" ]; then
		echo "debs: apt printed ${#uris[@]} download URIs for $# packages" >&2
		return 1
	fi
	mkdir -p "$cache"
	for line in "${uris[@]}"; do
		read -r _ file _ sum <<<"$line"
		sum=${sum#SHA256:}
		if ! [ -f "$cache/$file" ] || [ "$(sha256sum <"$cache/$file" | cut -d' ' -f1)" != "$sum" ]; then
			rm -f "$cache/$file"
			(cd "$cache" && apt-get download -q -o APT::Sandbox::User="$(id -un)" "$(deb_name "$file" "$debarch")" >&2)
			if [ "$(sha256sum <"$cache/$file" | cut -d' ' -f1)" != "$sum" ]; then
				echo "debs: $file does not match its SHA256 in the apt lists" >&2
				return 1
			fi
		fi
		printf 'deb\t%s\tsha256:%s\n' "$file" "$sum"
		dpkg-deb -x "$cache/$file" "$root"
	done
}

# deb_name FILE DEBARCH: the name:arch apt downloads for a .deb file name
# (name_version_arch.deb; arch "all" packages are asked for without one).
deb_name() {
	local base=${1%.deb}
	local name=${base%%_*} arch=${base##*_}
	if [ "$arch" = all ]; then
		echo "$name"
	else
		echo "$name:$2"
	fi
}

# ensure_arch_lists DEBARCH PKG: apt lists a foreign architecture's packages
# only once dpkg knows it; as root, add it and update once.
ensure_arch_lists() {
	local debarch=$1 pkg=$2
	apt-cache show "$pkg:$debarch" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "apt has no $pkg:$debarch; run as root once, or:" >&2
		echo "  sudo dpkg --add-architecture $debarch && sudo apt-get update" >&2
		return 1
	fi
	if [ "$debarch" != "$(dpkg --print-architecture)" ]; then
		dpkg --add-architecture "$debarch"
	fi
	apt-get update -qq
}
