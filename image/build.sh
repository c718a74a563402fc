#!/usr/bin/env bash
# Build build/station.iso: a Debian bookworm live image (BIOS + UEFI, Secure Boot through Debian's signed
# shim/grub/kernel) that runs Station on tty1, with a FAT32 STATIONDATA partition appended for the data dir.
#
# Recipe and traps: ../shared/image-notes.md and docs/image.md. Needs root, the Debian archive and PyPI
# (wheels are prepared here, on the host, and installed offline in the chroot).
# The ISO is cached under $STATION_IMAGE_CACHE keyed by a hash of image/, systemd/, station/, pyproject.toml.
set -euo pipefail
# everything runs from main(), parsed whole before it starts, so editing this file mid-build is safe
main() {
REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${STATION_IMAGE_CACHE:-/var/cache/station-image}
OUT=${STATION_IMAGE_OUT:-$REPO/build/station.iso}
MIRROR=${STATION_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${STATION_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
DATA_MB=${STATION_DATA_MB:-64}
COMP=${STATION_SQUASHFS_COMP:-zstd -Xcompression-level 6}   # much faster than xz or zstd 15, ~10-15 % larger
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1735689600}

log() { printf '[image %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

[ "$(id -u)" -eq 0 ] || { echo "image/build.sh needs root (mmdebstrap chroot, device nodes)" >&2; exit 2; }

install_tools() {
  local pkgs=(mmdebstrap squashfs-tools xorriso grub-pc-bin grub-efi-amd64-bin grub-common mtools dosfstools)
  local missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing build tools: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
      --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

input_hash() {
  (cd "$REPO" && find image systemd station pyproject.toml -type f \
      ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) \
    | sha256sum | cut -c1-16
}

HASH=$(input_hash)
CACHED="$CACHE/station-$HASH.iso"
mkdir -p "$(dirname "$OUT")"
if [ "${1:-}" = "--cached-path" ]; then   # for the boot test: is this exact tree already built?
  [ -s "$CACHED" ] && echo "$CACHED" && exit 0
  exit 1
fi
if [ -s "$CACHED" ] && [ -z "${STATION_IMAGE_REBUILD:-}" ]; then
  log "cached: $CACHED"
  cp --reflink=auto "$CACHED" "$OUT"
  echo "$OUT"
  exit 0
fi

install_tools
START=$(date +%s)
W=$(mktemp -d /var/tmp/station-image.XXXXXX)
PROC_MOUNTED=
# --one-file-system: never descend into a proc left mounted by a failed customize step
trap '[ -z "$PROC_MOUNTED" ] || umount "$PROC_MOUNTED"; rm -rf --one-file-system "$W"' EXIT
mkdir -p "$W/wheels" "$W/iso/live" "$W/iso/boot/grub" "$W/iso/.disk"

# 1. wheels on the host: Station itself and every dependency, for the chroot's Python (bookworm: 3.11).
log "wheels"
PIP_PY="$REPO/.venv/bin/python"
[ -x "$PIP_PY" ] || { python3 -m venv "$W/pipvenv"; PIP_PY="$W/pipvenv/bin/python"; }
# from a copy of just the package: setuptools walking the work tree (.venv, caches) took minutes
mkdir -p "$W/src" && cp -a "$REPO/station" "$REPO/pyproject.toml" "$REPO/README.md" "$W/src/"
find "$W/src" -name __pycache__ -type d -prune -exec rm -rf {} +
"$PIP_PY" -m pip wheel -q --disable-pip-version-check --wheel-dir "$W/wheels" "$W/src" >&2 2>"$W/pip.log" \
  || { cat "$W/pip.log" >&2; exit 1; }

# A per-build ISO volume UUID, baked into the rootfs, so the booted system can find its key even after
# `toram` unmounted it (station system record-boot-medium). xorriso date format YYYYMMDDhhmmsscc.
ISO_DATE=$(python3 -c "import sys,time; h=int(sys.argv[1],16); print(time.strftime('%Y%m%d%H%M%S', time.gmtime(946684800 + h % 1500000000)) + '%02d' % (h % 100))" "$HASH")
ISO_UUID="${ISO_DATE:0:4}-${ISO_DATE:4:2}-${ISO_DATE:6:2}-${ISO_DATE:8:2}-${ISO_DATE:10:2}-${ISO_DATE:12:2}-${ISO_DATE:14:2}"
mkdir -p "$W/overlay/etc/station"
printf '{"iso_uuid": "%s", "iso_label": "STATION_LIVE", "build": "%s"}\n' "$ISO_UUID" "$HASH" \
  > "$W/overlay/etc/station/image.json"

# 2. root filesystem: bookworm + updates + security, minbase plus what Station drives. The bootstrapped
# base (the slow part: 2-5 min) is cached as a tarball keyed by the package list, the mirrors and the ISO
# week (so a cached base still picks up security updates weekly); Station goes on a fresh copy each time.
PACKAGES=(
  linux-image-amd64 live-boot systemd-sysv systemd-resolved udev kmod
  python3 python3-venv
  smartmontools nvme-cli hdparm sg3-utils dmidecode util-linux pciutils usbutils
  fonts-dejavu-core
  dosfstools ca-certificates iproute2 procps less
  # the laptop bench (station/functest): ALSA tone and capture, V4L2 frame, radios, raw input events
  alsa-utils v4l-utils rfkill iw evtest
  # the firmware the laptops' Wi-Fi and Bluetooth cards load (Debian's non-free-firmware component)
  firmware-iwlwifi firmware-realtek firmware-atheros
)
BASE_KEY=$(printf '%s\n' base-v2-non-free-firmware "${PACKAGES[*]}" "$MIRROR" "$SECURITY_MIRROR" "$(date -u +%G-%V)" \
  | sha256sum | cut -c1-16)
BASE="$CACHE/base-$BASE_KEY.tar"
mkdir -p "$CACHE"
if [ -s "$BASE" ] && [ -z "${STATION_IMAGE_REBUILD:-}" ]; then
  log "base rootfs cached: $BASE"
else
  log "mmdebstrap (base $BASE_KEY)"
  mmdebstrap --variant=minbase --quiet --format=tar \
    --include="$(IFS=,; echo "${PACKAGES[*]}")" \
    bookworm "$BASE.tmp" \
    "deb $MIRROR bookworm main non-free-firmware" \
    "deb $MIRROR bookworm-updates main non-free-firmware" \
    "deb $SECURITY_MIRROR bookworm-security main non-free-firmware" >&2
  mv "$BASE.tmp" "$BASE"
  find "$CACHE" -maxdepth 1 -name 'base-*.tar' ! -name "base-$BASE_KEY.tar" -mtime +14 -delete
fi
log "customize"
mkdir "$W/rootfs"
# file capabilities only (security.*): squashfs cannot store the POSIX ACLs systemd puts on /var/log/journal
tar -C "$W/rootfs" --numeric-owner --xattrs --xattrs-include='security.*' -xpf "$BASE"
mount -t proc proc "$W/rootfs/proc"
PROC_MOUNTED="$W/rootfs/proc"
"$REPO/image/customize.sh" "$W/rootfs" "$REPO" "$W/wheels" "$W/overlay"
umount "$PROC_MOUNTED" && PROC_MOUNTED=

# 3. kernel, initrd (live-boot's hooks ran in the chroot), squashfs. `-e` must stay last (it eats later args).
log "squashfs ($COMP)"
cp "$W"/rootfs/boot/vmlinuz-* "$W/iso/live/vmlinuz"
cp "$W"/rootfs/boot/initrd.img-* "$W/iso/live/initrd.img"
mksquashfs "$W/rootfs" "$W/iso/live/filesystem.squashfs" -noappend -no-progress -quiet -comp $COMP -e boot >&2
cp "$REPO/image/grub.cfg" "$W/iso/boot/grub/grub.cfg"
echo "Station live (Debian bookworm) $HASH" > "$W/iso/.disk/info"

# 4. BIOS boot: let grub-mkrescue assemble i386-pc + modules, then remaster its tree with the signed EFI image.
log "iso"
grub-mkrescue -o "$W/rescue.iso" "$W/iso" -- -volid STATION_LIVE >/dev/null 2>&1
xorriso -osirrox on -indev "$W/rescue.iso" -extract / "$W/tree" >/dev/null 2>&1
chmod -R u+w "$W/tree"; rm -f "$W/tree/efi.img"

# 5. Secure Boot: Debian's signed shim + signed gcd grub (it searches /.disk/info and reads boot/grub/grub.cfg).
mkdir -p "$W/signed" && (cd "$W/signed" && apt-get download -qq shim-signed grub-efi-amd64-signed shim-helpers-amd64-signed \
  && for d in *.deb; do dpkg -x "$d" x; done) >&2
mkfs.vfat -C "$W/efi.img" 8192 >/dev/null              # 4 MiB is too small ("Disk full")
mmd -i "$W/efi.img" ::EFI ::EFI/boot
mcopy -i "$W/efi.img" "$W/signed/x/usr/lib/shim/shimx64.efi.signed" ::EFI/boot/bootx64.efi
mcopy -i "$W/efi.img" "$W/signed/x/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed" ::EFI/boot/grubx64.efi
mcopy -i "$W/efi.img" "$W/signed/x/usr/lib/shim/mmx64.efi.signed" ::EFI/boot/mmx64.efi
cp "$W/efi.img" "$W/tree/boot/grub/efi.img"

# 6. the data partition: FAT32, label STATIONDATA (11 chars max), fixed volume id for reproducibility.
mkfs.vfat -F 32 -n STATIONDATA -i 53544e44 -C "$W/data.img" $((DATA_MB * 1024)) >/dev/null
mmd -i "$W/data.img" ::station
printf 'Station data partition: keys, config, certificates, outbox, logs.\r\n' | mcopy -i "$W/data.img" - ::LISEZMOI.TXT

xorriso -as mkisofs -quiet -R -J -joliet-long -l -iso-level 3 -V STATION_LIVE \
  --modification-date="$ISO_DATE" \
  --grub2-mbr /usr/lib/grub/i386-pc/boot_hybrid.img \
  -b boot/grub/i386-pc/eltorito.img -no-emul-boot -boot-load-size 4 -boot-info-table --grub2-boot-info \
  -eltorito-alt-boot -e boot/grub/efi.img -no-emul-boot -isohybrid-gpt-basdat \
  -append_partition 3 0x0c "$W/data.img" \
  -o "$W/station.iso" "$W/tree" >&2

mkdir -p "$CACHE"
mv "$W/station.iso" "$CACHED.tmp" && mv "$CACHED.tmp" "$CACHED"
cp --reflink=auto "$CACHED" "$OUT"
log "done in $(( $(date +%s) - START )) s: $OUT ($(stat -c %s "$OUT") bytes, iso uuid $ISO_UUID)"
echo "$OUT"
}
main "$@"
