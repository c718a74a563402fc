#!/bin/sh
# mmdebstrap customize hook: turn the bootstrapped tree ($1) into the Station live root.
# Args: rootfs repo wheels-dir overlay-dir. Runs on the host; nothing inside the chroot touches the network.
set -eu
R=$1 REPO=$2 WHEELS=$3 OVERLAY=$4
in_root() { chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

mkdir -p "$R/etc/network"   # live-boot writes etc/network/interfaces at boot
echo station > "$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 station\n' > "$R/etc/hosts"
in_root passwd -d root >/dev/null

# files of the image (network, sysctl, getty drop-ins) and of this build (image.json), then the units
cp -a "$REPO/image/rootfs/." "$R/"
cp -a "$OVERLAY/." "$R/"
install -m 0644 "$REPO"/systemd/*.service "$REPO"/systemd/*.timer "$R/etc/systemd/system/"

# Station in its own venv, from the wheels prepared on the host (offline: --no-index)
mkdir -p "$R/tmp/wheels" && cp "$WHEELS"/*.whl "$R/tmp/wheels/"
in_root python3 -m venv /opt/station/venv
in_root /opt/station/venv/bin/pip install -q --disable-pip-version-check --no-index \
  --find-links /tmp/wheels station
rm -rf "$R/tmp/wheels"
ln -sf /opt/station/venv/bin/station "$R/usr/local/bin/station"

in_root systemctl enable -q station-tui@tty1.service station-data.service station-boot-medium.service \
  station-upload.timer getty@tty2.service systemd-networkd.service systemd-resolved.service
in_root systemctl mask -q getty@tty1.service
ln -sf /run/systemd/resolve/stub-resolv.conf "$R/etc/resolv.conf"

# a fresh machine-id per boot; no apt lists or caches; docs trimmed but licences kept
: > "$R/etc/machine-id"
rm -rf "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/*.bin "$R"/var/cache/apt/archives/*.deb
find "$R/usr/share/doc" -type f ! -name copyright -delete
find "$R/usr/share/doc" -type d -empty -delete
rm -rf "$R"/usr/share/man/* "$R"/usr/share/info/*
# bytecode compiled here, reproducibly (hash-checked, not mtime): the squashfs is read-only, so without it
# every boot recompiles Textual & co. from source, which under a slow CPU (QEMU TCG) costs minutes
find "$R/opt/station/venv" -name __pycache__ -type d -prune -exec rm -rf {} +
in_root /opt/station/venv/bin/python -m compileall -q -j0 --invalidation-mode unchecked-hash \
  /opt/station/venv/lib >/dev/null

# kernel modules left out: TV, radio and capture cards (DVB, tuners, PCI grabbers, USB TV sticks), InfiniBand,
# ISDN, staging. Kept for the laptop bench: sound, USB webcams (uvcvideo and the media core), Wi-Fi and Bluetooth
# (with the non-free firmware of Intel, Realtek and Atheros/Qualcomm cards), and the kernel's virtual camera,
# Wi-Fi radio and Bluetooth controller (vivid, mac80211_hwsim, hci_vhci), with which the image test proves the
# camera, Wi-Fi and Bluetooth tests under QEMU, which emulates none of them (docs/image.md)
for dir in "$R"/lib/modules/*/kernel; do
  rm -rf "$dir/drivers/media/pci" "$dir/drivers/media/dvb-frontends" "$dir/drivers/media/dvb-core" \
    "$dir/drivers/media/tuners" "$dir/drivers/media/radio" "$dir/drivers/media/i2c" \
    "$dir/drivers/media/platform" "$dir/drivers/media/firewire" "$dir/drivers/media/mmc" \
    "$dir/drivers/infiniband" "$dir/drivers/isdn" "$dir/drivers/staging"
  find "$dir/drivers/media/usb" -mindepth 1 -maxdepth 1 ! -name uvc -exec rm -rf {} +
  find "$dir/drivers/media/rc" -mindepth 1 -maxdepth 1 ! -name rc-core.ko -exec rm -rf {} +  # cec (vivid) needs it
done
# firmware of Qualcomm chips no x86 laptop carries (access points, routers, phone and ARM SoCs): ~40 MB
rm -rf "$R"/lib/firmware/ath11k/IPQ* "$R"/lib/firmware/ath11k/QCN* "$R"/lib/firmware/ath11k/WCN6750 \
  "$R"/lib/firmware/ath10k/QCA4019 "$R"/lib/firmware/ath10k/QCA98* "$R"/lib/firmware/ath10k/QCA99* \
  "$R"/lib/firmware/ath10k/WCN3990
for kver in $(ls "$R/lib/modules"); do in_root depmod "$kver"; done
# the initrd again, now with the read-ahead udev rule (image/rootfs/etc/initramfs-tools/hooks/station-readahead)
# and without the removed modules; fail the build if the rule did not make it in
in_root update-initramfs -u -k all >/dev/null
for initrd in "$R"/boot/initrd.img-*; do
  in_root lsinitramfs "${initrd#"$R"}" | grep -q 'lib/udev/rules.d/61-station-readahead.rules$' \
    || { echo "read-ahead rule missing from $initrd" >&2; exit 1; }
done
