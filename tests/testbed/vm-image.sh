# Prepares what the test-bed VM boots: Debian's kernel package, unpacked
# (not installed) into a cache folder, and a small busybox initramfs whose
# /init is tests/testbed/init.  Sourced by tests/testbed/run.
#
# Cache layout (${VPND_TESTBED_CACHE:-/var/cache/vpnd-testbed}):
#   dl/                         downloaded .deb files
#   kernel/<kver>/              dpkg -x of linux-image-<kver>, depmod'ed
#   initrd/<kver>-<hash>.cpio.gz  initramfs; <hash> covers every input, so a
#                               changed init script or kernel builds a new one
#
# Everything here writes progress to the log file given by the caller, so the
# command's own output stays clean; the caller shows the log on failure.

# Modules the initramfs loads itself (with their dependencies, resolved from
# modules.dep): the virtio PCI transport, the two 9p shares, the
# virtio-serial ports that carry the command's stdout/stderr, and a virtio
# RNG so that crypto in the guest never waits for entropy, and overlayfs for
# the writable root.
TB_INITRD_MODULES=(virtio_pci virtio_console 9pnet_virtio 9p virtio_rng overlay)

tb_log() { printf 'testbed: %s\n' "$*" >&2; }

# The kernel package that Debian's linux-image-amd64 currently depends on,
# e.g. "linux-image-6.1.0-56-amd64".  Empty when apt knows no such package.
tb_kernel_package() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

# Newest kernel already unpacked in the cache (for machines without apt lists).
tb_cached_kernel() {
  local d
  for d in "$1"/kernel/*/.ready; do
    [ -e "$d" ] || continue
    d=${d%/.ready}
    printf '%s\n' "${d##*/}"
  done | sort -V | tail -n 1
}

# Removes kernels other than $kver (and their packages) from the cache once
# they are a day old: no VM that could still be using one runs that long.
tb_prune_kernels() {
  local cache=$1 kver=$2 d
  for d in "$cache"/kernel/*/; do
    d=${d%/}
    [ "${d##*/}" != "$kver" ] || continue
    [ -n "$(find "$d/.ready" -mmin +1440 2> /dev/null)" ] || continue
    rm -rf "$d" "$cache/dl/linux-image-${d##*/}_"*.deb
  done
}

# Unpacks the kernel package for $kver into the cache and runs depmod there
# (the package ships no modules.dep).  Downloads exactly one package name:
# a glob would make apt fetch every kernel version.
tb_fetch_kernel() {
  local cache=$1 kver=$2 pkg="linux-image-$2"
  local dir="$cache/kernel/$kver" deb
  [ -e "$dir/.ready" ] && return 0
  mkdir -p "$cache/dl"
  deb=$(ls "$cache/dl/${pkg}_"*_amd64.deb 2>/dev/null | tail -n 1)
  if [ -z "$deb" ]; then
    (cd "$cache/dl" && apt-get download "$pkg") || {
      tb_log "cannot download $pkg (is the network or the apt mirror reachable?)"
      return 1
    }
    deb=$(ls "$cache/dl/${pkg}_"*_amd64.deb | tail -n 1)
  fi
  rm -rf "$dir" "$dir.tmp"
  mkdir -p "$dir.tmp"
  dpkg -x "$deb" "$dir.tmp"
  depmod -b "$dir.tmp" "$kver"
  [ -f "$dir.tmp/boot/vmlinuz-$kver" ] || { tb_log "$deb has no vmlinuz"; return 1; }
  mv "$dir.tmp" "$dir"
  touch "$dir/.ready"
}

# Writes boot/vmlinux-<kver>, the uncompressed ELF kernel, next to the
# bzImage when the kernel can boot through PVH (CONFIG_PVH): qemu then starts
# it directly, which saves the 2-3 s that decompressing the xz bzImage takes
# under emulation.  Without it (or if extraction fails) the bzImage is used.
tb_extract_vmlinux() {
  local dir=$1 kver=$2
  local out="$dir/boot/vmlinux-$kver"
  [ ! -e "$out" ] || return 0
  grep -q '^CONFIG_PVH=y' "$dir/boot/config-$kver" 2> /dev/null || return 0
  /usr/bin/python3 - "$dir/boot/vmlinuz-$kver" "$out.tmp" << 'EOF' && mv "$out.tmp" "$out"
import gzip, lzma, sys
data = open(sys.argv[1], "rb").read()
# The compressed payload inside the bzImage, by its magic number.
for magic, decompress in ((b"\xfd7zXZ\x00", lambda b: lzma.LZMADecompressor().decompress(b)),
                          (b"\x1f\x8b\x08\x00", lambda b: gzip.GzipFile(fileobj=__import__("io").BytesIO(b)).read())):
    at = data.find(magic)
    if at < 0:
        continue
    try:
        elf = decompress(data[at:])
    except Exception:
        continue
    if elf[:4] == b"\x7fELF":
        open(sys.argv[2], "wb").write(elf)
        sys.exit(0)
sys.exit(1)
EOF
  rm -f "$out.tmp"
  return 0
}

# Prints the modules (paths relative to lib/modules/<kver>) to load for
# $@, dependencies first, each once.
tb_module_load_order() {
  local moddir=$1; shift
  awk -v want="$*" '
    BEGIN { n = split(want, w, " ") }
    {
      name = $1; sub(/:$/, "", name)
      base = name; sub(/.*\//, "", base); sub(/\.ko(\.[a-z]+)?$/, "", base)
      gsub(/-/, "_", base)
      path[base] = name
      deps[name] = ""
      for (i = 2; i <= NF; i++) deps[name] = deps[name] " " $i
    }
    function visit(m,   d, k, i) {
      if (m in seen) return
      seen[m] = 1
      k = split(deps[m], d, " ")
      for (i = k; i >= 1; i--) visit(d[i])
      print m
    }
    END {
      for (i = 1; i <= n; i++) {
        if (!(w[i] in path)) { print "missing module " w[i] > "/dev/stderr"; exit 1 }
        visit(path[w[i]])
      }
    }' "$moddir/modules.dep"
}

# Builds the initramfs for $kver unless an up-to-date one exists; prints its
# path.  $init is the guest's PID 1 script.
tb_build_initrd() {
  local cache=$1 kver=$2 init=$3
  local moddir="$cache/kernel/$kver/lib/modules/$kver"
  local hash out stage m
  hash=$( { cat "$init" "${BASH_SOURCE[0]}"; echo "$kver ${TB_INITRD_MODULES[*]}";
            busybox 2>&1 | head -n 1; } | sha256sum | cut -c1-16)
  out="$cache/initrd/$kver-$hash.cpio.gz"
  if [ ! -e "$out" ]; then
    if ldd /bin/busybox > /dev/null 2>&1; then
      tb_log "/bin/busybox is dynamically linked; the initramfs needs busybox-static"
      return 1
    fi
    stage=$(mktemp -d "${TMPDIR:-/tmp}/vpnd-testbed-initrd.XXXXXX")
    mkdir -p "$stage"/{bin,sbin,dev,proc,sys,host,ctl,modules,tmp}
    cp /bin/busybox "$stage/bin/busybox"
    ln -s busybox "$stage/bin/sh"
    mknod "$stage/dev/console" c 5 1
    mknod "$stage/dev/null" c 1 3
    cp "$init" "$stage/init"
    chmod 755 "$stage/init"
    # The kernel runs /sbin/modprobe in the initramfs root even after init
    # has chrooted.  busybox's static modprobe answers it there (init mounts
    # the modules at /lib/modules/<kver>): much faster than the host's kmod
    # through chroot, which loads its shared libraries over 9p every time.
    ln -s ../bin/busybox "$stage/sbin/modprobe"
    mkdir -p "$stage/lib/modules"
    tb_module_load_order "$moddir" "${TB_INITRD_MODULES[@]}" > "$stage/modules/order.full" || {
      rm -rf "$stage"; return 1; }
    : > "$stage/modules/load-order"
    while read -r m; do
      cp "$moddir/$m" "$stage/modules/"
      echo "${m##*/}" >> "$stage/modules/load-order"
    done < "$stage/modules/order.full"
    rm "$stage/modules/order.full"
    mkdir -p "$cache/initrd"
    (cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
    mv "$out.tmp" "$out"
    rm -rf "$stage"
    # Older images are stale now; a run that started a moment ago may still
    # be about to boot one, so only those older than an hour go.
    find "$cache/initrd" -name '*.cpio.gz' ! -newer "$out" -mmin +60 -delete
  fi
  printf '%s' "$out"
}

# Makes sure kernel and initramfs exist; sets TB_KVER, TB_VMLINUZ (the
# kernel image to boot), TB_INITRD, TB_MODDIR.  Serialised with flock so concurrent runs do not race.
tb_prepare_vm() {
  local cache=$1 init=$2 pkg
  mkdir -p "$cache"
  exec {tb_lock_fd}>"$cache/.lock"
  flock "$tb_lock_fd"
  # Asking apt costs half a second per run: do it at most once a day.
  if [ -n "$(find "$cache/kernel-package" -mmin -1440 2> /dev/null)" ]; then
    pkg=$(cat "$cache/kernel-package")
  else
    pkg=$(tb_kernel_package)
    [ -z "$pkg" ] || printf '%s\n' "$pkg" > "$cache/kernel-package"
  fi
  TB_KVER=""
  if [ -n "$pkg" ] && tb_fetch_kernel "$cache" "${pkg#linux-image-}"; then
    TB_KVER=${pkg#linux-image-}
    tb_prune_kernels "$cache" "$TB_KVER"
  else
    # Offline, or apt's lists name a kernel the mirror no longer has: the
    # newest kernel already in the cache will do.
    TB_KVER=$(tb_cached_kernel "$cache")
    if [ -z "$TB_KVER" ]; then
      tb_log "no kernel: apt names '${pkg:-nothing}' for linux-image-amd64 (apt-get update?) and none is cached in $cache"
      exec {tb_lock_fd}>&-
      return 1
    fi
    tb_log "using the cached kernel $TB_KVER"
  fi
  TB_MODDIR="$cache/kernel/$TB_KVER/lib/modules/$TB_KVER"
  tb_extract_vmlinux "$cache/kernel/$TB_KVER" "$TB_KVER"
  TB_VMLINUZ="$cache/kernel/$TB_KVER/boot/vmlinux-$TB_KVER"
  [ -e "$TB_VMLINUZ" ] || TB_VMLINUZ="$cache/kernel/$TB_KVER/boot/vmlinuz-$TB_KVER"
  TB_INITRD=$(tb_build_initrd "$cache" "$TB_KVER" "$init") || { exec {tb_lock_fd}>&-; return 1; }
  exec {tb_lock_fd}>&-
}
