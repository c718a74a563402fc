"""The audit: DMI identity, CPU/RAM/PCI, battery, SMART, verdict and the signed audit record."""
