# Convenience targets; the scripts are the source of truth.
.PHONY: image image-test

# build/station.iso (root; cached in /var/cache/station-image by a hash of image/ systemd/ station/ pyproject.toml)
image:
	bash image/build.sh

# build (or reuse) the image and boot it in QEMU, BIOS and UEFI, as a USB stick
image-test:
	.venv/bin/python -m pytest -v -s -m image tests/image
