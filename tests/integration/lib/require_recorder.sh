# Sourced by the shell tests that run `poolscope record`: require_recorder
# NAME exits 77 (skipped, with the reason) unless this is root on a kernel
# with BTF, as the BPF recorder needs.
require_recorder() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "$1: skipped: needs root (BPF)"
		exit 77
	fi
	if [ ! -r /sys/kernel/btf/vmlinux ]; then
		echo "$1: skipped: no /sys/kernel/btf/vmlinux (BPF recorder)"
		exit 77
	fi
}
