#!/bin/bash
# Build the virtual wipe rack guest into OUT: vmlinuz, initrd.gz (busybox, mounts /dev/vda) and root.img
# (ext4 made with `mkfs.ext4 -d`, so no loop device and no mount on the host).
# Usage: build_guest.sh OUT REQUIREMENTS   (REQUIREMENTS: pip requirement lines for Station's Python deps)
# Host needs (Debian 12, root): mmdebstrap busybox-static cpio e2fsprogs, and the Debian archive + PyPI.
# Normally called by rack_build.py, which caches OUT by a content hash of this script, rack-init and the deps.
set -euo pipefail
HERE=$(dirname "$(readlink -f "$0")")
OUT=$(readlink -f "$1"); REQS=$(readlink -f "$2")
SUITE=bookworm
MIRROR=${STATION_RACK_MIRROR:-http://deb.debian.org/debian}
SECURITY=${STATION_RACK_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
PIP=${STATION_RACK_PIP:-pip3}
mkdir -p "$OUT"; cd "$OUT"; rm -rf rootfs initrd kdeb

# Guest userland: udev, python3, the tools Station drives, and the guest agent. Python deps come from a
# wheelhouse below so the guest runs the same versions as the project's venv.
PKGS=udev,kmod,python3,smartmontools,nvme-cli,hdparm,sg3-utils,sdparm,lsscsi,dmsetup,util-linux,pciutils
PKGS=$PKGS,usbutils,dmidecode,openssl,qemu-guest-agent,procps,e2fsprogs,fdisk,coreutils,fonts-dejavu-core

# 1. rootfs; the kernel .deb is fetched inside it by the rootfs's own apt (newest 6.1 of bookworm-security)
cat > kernel-hook.sh <<'EOH'
set -e
pkg=$(chroot "$1" apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
chroot "$1" sh -c "cd /tmp && apt-get download -q $pkg"
mkdir -p "$2" && mv "$1"/tmp/linux-image-*.deb "$2"/
EOH
mmdebstrap --variant=minbase --include="$PKGS" --customize-hook="sh $OUT/kernel-hook.sh \"\$1\" $OUT/kdeb" \
  "$SUITE" rootfs \
  "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY $SUITE-security main" \
  >mmdebstrap.log 2>&1 || { tail -30 mmdebstrap.log >&2; exit 1; }
dpkg -x kdeb/*.deb kdeb/x
KV=$(ls kdeb/x/lib/modules/)
cp "kdeb/x/boot/vmlinuz-$KV" vmlinuz

# 2. Station's Python dependencies as a wheelhouse (binary wheels for the guest's python3.11)
PYV=$(chroot rootfs python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
$PIP install -q --disable-pip-version-check --only-binary=:all: --python-version "$PYV" \
  --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
  --target "rootfs/usr/local/lib/python$PYV/dist-packages" -r "$REQS"
# byte-compile with the guest's own python: compiling reportlab & co. at every import costs tens of s under TCG
chroot rootfs python3 -m compileall -q -j 0 "/usr/local/lib/python$PYV/dist-packages" >/dev/null

# 3. kernel modules, pruned of what a disk rack never loads (~260 MB), then depmod inside the rootfs
mkdir -p rootfs/lib/modules; cp -a "kdeb/x/lib/modules/$KV" rootfs/lib/modules/
M=rootfs/lib/modules/$KV/kernel
rm -rf "$M"/drivers/{gpu,media,infiniband,staging,iio,comedi,isdn,bluetooth,net/wireless,net/ethernet,net/can} \
       "$M"/drivers/{net/usb,net/dsa,net/ieee802154,net/wan,net/hamradio,hid} "$M"/sound \
       "$M"/net/{wireless,mac80211,bluetooth,netfilter,ipv4/netfilter,ipv6/netfilter,bridge,sched,ceph,sunrpc,rxrpc} \
       "$M"/fs/{ceph,nfs,nfsd,ocfs2,gfs2,xfs,btrfs,f2fs,smb,cifs,ubifs,jffs2,afs,orangefs,coda,ntfs3,nilfs2}
chroot rootfs depmod -a "$KV"

# 4. guest configuration: our PID 1, the station command running the 9p-shared tree
echo rack > rootfs/etc/hostname
chroot rootfs passwd -d root >/dev/null
echo '/dev/vda / ext4 rw,noatime 0 1' > rootfs/etc/fstab
install -m 755 "$HERE/rack-init" rootfs/sbin/rack-init
cat > rootfs/usr/local/bin/station <<'EOS'
#!/bin/sh
# Station from the host's tree, shared read-only at /src by 9p. /src goes last on sys.path so that
# stdlib and dependency imports never pay a 9p round trip. Bytecode: /pycache, compiled by the host
# before boot (compiling under TCG costs tens of seconds), else tmpfs (the source share is read-only).
if [ -d /pycache ]; then export PYTHONPYCACHEPREFIX=/pycache; else export PYTHONPYCACHEPREFIX=/tmp/pycache; fi
exec python3 -c 'import sys; sys.path.append("/src"); from station.cli import main; sys.exit(main())' "$@"
EOS
chmod 755 rootfs/usr/local/bin/station

# 5. root image straight from the directory
rm -f root.img; mkfs.ext4 -q -L rackroot -d rootfs root.img 2G

# 6. busybox initrd: load virtio + ext4, mount /dev/vda, switch_root to init= (rack-init)
mkdir -p initrd/{bin,proc,sys,dev,newroot}; cp "$(command -v busybox)" initrd/bin/busybox
MODS=$(chroot rootfs modprobe --show-depends -S "$KV" -a virtio_pci virtio_blk ext4 | awk '/^insmod/{print $2}' | awk '!s[$0]++')
for m in $MODS; do mkdir -p "initrd/$(dirname "$m")"; cp "rootfs$m" "initrd$m"; done
cat > initrd/init <<EOI
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $(echo $MODS); do insmod \$m 2>/dev/null; done
for i in \$(seq 1 300); do [ -b /dev/vda ] && break; usleep 10000; done
mount -t ext4 -o rw,noatime /dev/vda /newroot || { echo "root mount failed"; exec sh; }
mount --move /dev /newroot/dev
INIT=/sbin/rack-init; for a in \$(cat /proc/cmdline); do case \$a in init=*) INIT=\${a#init=};; esac; done
umount /proc /sys
exec switch_root /newroot \$INIT
EOI
chmod +x initrd/init
(cd initrd && find . | cpio -o -H newc --quiet | gzip -1) > initrd.gz
echo "$KV" > kernel-version
rm -rf kdeb initrd rootfs kernel-hook.sh
echo "built: $OUT/{vmlinuz,initrd.gz,root.img} kernel $KV"
