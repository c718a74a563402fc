"""Detection: whole disks from udev and sysfs, hot-plug events, protection by identity, the boot medium."""
