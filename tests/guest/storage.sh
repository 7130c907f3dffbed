# Sourced by guest scripts: builds and tears down the storage stack that
# stackwatch exists for: virtio disks -> LVM (device-mapper) -> XFS -> NFS
# export -> NFS mount on loopback. LVM runs without udev (the guest has none).
export LVM_SYSTEM_DIR=/etc/lvm DM_DISABLE_UDEV=1
VG=swvg XFS_MNT=/mnt/xfs NFS_MNT=/mnt/nfs

lvm_config() {
  mkdir -p /etc/lvm /run/lock/lvm
  cat > /etc/lvm/lvm.conf <<CONF
devices { obtain_device_list_from_udev = 0 scan = [ "/dev" ] filter = [ "a|^/dev/vd|", "a|^/dev/mapper|", "r|.*|" ] }
activation { udev_sync = 0 udev_rules = 0 verify_udev_operations = 1 monitoring = 0 }
backup { backup = 0 archive = 0 }
global { locking_dir = "/run/lock/lvm" }
CONF
}

# storage_up [thin]: PVs on every virtio disk, a VG, a linear LV (dm-linear)
# or, with "thin", a thin LV in a thin pool (dm-thin over dm-linear, so bios
# re-enter submit_bio twice); XFS on it, mounted at $XFS_MNT.
storage_up() {
  local mode=${1:-linear} disks
  disks=$(ls /dev/vd? 2>/dev/null)
  [ -n "$disks" ] || { echo "storage_up: no virtio disks"; return 1; }
  lvm_config
  # shellcheck disable=SC2086
  pvcreate -q -y -ff $disks >/dev/null || return 1
  # shellcheck disable=SC2086
  vgcreate -q $VG $disks >/dev/null || return 1
  if [ "$mode" = thin ]; then
    lvcreate -q -y -L 2G -T $VG/pool >/dev/null || return 1
    lvcreate -q -y -V 3G -T $VG/pool -n data >/dev/null || return 1
  else
    lvcreate -q -y -l 80%VG -n data $VG >/dev/null || return 1
  fi
  mkfs.xfs -q -f /dev/$VG/data || return 1
  mkdir -p $XFS_MNT && mount -t xfs /dev/$VG/data $XFS_MNT || return 1
  echo "storage: XFS on $mode LV $VG/data ($(dmsetup ls | wc -l) dm devices) at $XFS_MNT"
}

# nfs_up VERS: exports $XFS_MNT with the in-kernel NFS server and mounts it
# back over loopback at $NFS_MNT with NFS version VERS (3, or 4.1: the 7.3
# client always has 4.1; 4.0 and 4.2 are separate options our kernel leaves
# out). For v4 the export is the pseudo-root (fsid=0): the guest's own root is
# 9p and /mnt tmpfs, which nfsd cannot build a v4 pseudo-path through.
nfs_up() {
  local vers=${1:-4.1} fsid=1 path=$XFS_MNT
  case $vers in 4*) fsid=0 path=/ ;; esac
  mkdir -p /var/lib/nfs/sm /var/lib/nfs/sm.bak /var/lib/nfs/v4recovery /run/rpcbind
  touch /var/lib/nfs/etab /var/lib/nfs/rmtab
  mountpoint -q /proc/fs/nfsd || mount -t nfsd nfsd /proc/fs/nfsd
  pgrep -x rpcbind >/dev/null || rpcbind -w 2>/dev/null || rpcbind
  exportfs -o rw,no_root_squash,no_subtree_check,fsid=$fsid,sync 127.0.0.1:$XFS_MNT || return 1
  if ! pgrep -x rpc.mountd >/dev/null; then
    rpc.mountd --no-udp 2>/dev/null || rpc.mountd
    echo 10 > /proc/fs/nfsd/nfsv4leasetime 2>/dev/null
    echo 10 > /proc/fs/nfsd/nfsv4gracetime 2>/dev/null
    rpc.nfsd 4 || return 1
  fi
  mkdir -p $NFS_MNT
  mount -t nfs -o vers=$vers,nolock,proto=tcp,hard,timeo=600 127.0.0.1:$path $NFS_MNT || return 1
  echo "nfs: $XFS_MNT exported and mounted back at $NFS_MNT (vers=$vers)"
}

nfs_down() {
  umount $NFS_MNT 2>/dev/null
  exportfs -ua 2>/dev/null
  rpc.nfsd 0 2>/dev/null
  pkill -x rpc.mountd 2>/dev/null
  pkill -x rpcbind 2>/dev/null
  return 0
}

storage_down() {
  umount $XFS_MNT || return 1
  vgchange -q -an $VG >/dev/null || return 1
  vgremove -q -f $VG >/dev/null || return 1
  [ "$(dmsetup ls 2>/dev/null | grep -c $VG)" = 0 ]
}
