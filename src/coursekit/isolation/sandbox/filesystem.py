"""The kernel's view of the files, built in its own mount namespace: hidden paths under empty
read-only covers, fresh size-capped /tmp, /var/tmp and /dev/shm, the Python installation
re-exposed read-only, the kernel folder read-write, and the working directory replaced by a
size-capped private copy at the same absolute path, without its notebooks (the graded one
holds the hidden tests). Nothing here changes the grader's view.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import site
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from coursekit.isolation.sandbox import linux
from coursekit.isolation.sandbox.policy import SandboxError, SandboxPolicy

MIB = 1 << 20
NOTEBOOK_SUFFIX = ".ipynb"  # never copied into the kernel's working copy (see _walk)
BLOCK = 4096
SCRATCH_PATHS = ("/tmp", "/var/tmp", "/dev/shm")  # world-writable: each kernel gets its own
COVER_MODE = 0o711  # traversable to what is re-exposed below, not listable
INODES_PER_MB = 64  # a cap on empty files too (each costs memory, not blocks)
MIN_INODES = 1024
SAFE = linux.MS_NOSUID | linux.MS_NODEV
# Order of mounts at the same depth: a cover first, then what goes on top of it.
KIND_ORDER = {"cover": 0, "scratch": 1, "workdir": 2, "readonly": 3, "kernel_dir": 4}


@dataclass(frozen=True)
class Mount:
    """One mount of the kernel's view: kind (a KIND_ORDER key) at an absolute, resolved path."""

    kind: str
    path: Path
    is_dir: bool = True


def python_paths() -> list[str]:
    """The folders this interpreter needs: its prefixes, its executable's, site-packages."""
    found = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    found.append(os.path.dirname(os.path.realpath(sys.executable)))
    found.extend(site.getsitepackages())
    return found


def plan_mounts(policy: SandboxPolicy, workdir: Path, kernel_dir: Path) -> list[Mount]:
    """The mounts, parents before children, that give the kernel its view (nothing done here)."""
    if kernel_dir.parent == kernel_dir.parent.parent:
        raise SandboxError("mount_namespace", f"kernel_dir {kernel_dir} needs a parent folder")
    # The working copy takes everything below workdir: nothing hidden may lie there.
    leaked = [path for path in _existing(policy.hidden_paths) if Path(path).is_relative_to(workdir)]
    if leaked:
        raise SandboxError(
            "mount_namespace",
            f"the working directory {workdir} holds hidden {', '.join(leaked)}: a kernel there "
            "would get a copy; run notebooks from their own folder",
        )
    # The kernel folder's siblings are other kernels' folders (their connection keys).
    wanted_covers = [*policy.hidden_paths, str(kernel_dir.parent)]
    scratch = _existing_dirs(SCRATCH_PATHS)
    exposed = [workdir, kernel_dir, *(Path(p) for p in _existing(policy.readonly_paths))]
    exposed.extend(_existing_dirs(python_paths()))
    covers = []
    for path in _existing_dirs(wanted_covers):
        holders = [c for c in [*covers, *scratch] if path.is_relative_to(c)]
        if not any(_nothing_exposed_between(holder, path, exposed) for holder in holders):
            covers.append(path)
    mounts = [Mount("cover", path) for path in covers]
    mounts.extend(Mount("scratch", path) for path in scratch)
    mounts.append(Mount("workdir", workdir))
    mounts.append(Mount("kernel_dir", kernel_dir))
    readonly = list(
        dict.fromkeys(
            [*(Path(p) for p in _existing(policy.readonly_paths)), *_existing_dirs(python_paths())]
        )
    )
    hiding = [*covers, *scratch, workdir]
    for path in readonly:  # inside another re-exposed folder, with no cover between: in view
        if not any(
            path != other
            and path.is_relative_to(other)
            and _nothing_exposed_between(other, path, hiding)
            for other in readonly
        ):
            mounts.append(Mount("readonly", path, path.is_dir()))
    return sorted(mounts, key=lambda m: (len(m.path.parts), KIND_ORDER[m.kind], str(m.path)))


def hidden_files(policy: SandboxPolicy) -> list[Path]:
    """The hidden paths that are files (covered by an empty unreadable file, not a folder)."""
    return [path for path in map(Path, _existing(policy.hidden_paths)) if not path.is_dir()]


def build_view(
    policy: SandboxPolicy, workdir: Path, kernel_dir: Path, owner: tuple[int, int]
) -> None:
    """In a fresh mount namespace: make the mounts of plan_mounts, hide files, copy workdir."""
    mounts = plan_mounts(policy, workdir, kernel_dir)
    files = hidden_files(policy)
    # Mounts made here must not propagate back to the grader's namespace.
    linux.mount(None, "/", None, linux.MS_REC | linux.MS_PRIVATE)
    old_umask = os.umask(0o022)
    # Descriptors opened now still reach a folder once a mount covers its path: what is
    # re-exposed or copied below is taken through them.
    sources = {m.path: _open_source(m) for m in mounts if m.kind in {"readonly", "kernel_dir"}}
    workdir_fd = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    ours: list[Path] = []
    try:
        copy_size, copy_entries = tree_size(workdir_fd)
        for m in mounts:
            _make_mountpoint(m, ours)
            if m.kind == "cover":
                _tmpfs(m.path, 1, MIN_INODES, f"mode={COVER_MODE:o}")
            elif m.kind == "scratch":
                _tmpfs(m.path, policy.tmp_mb, _inodes(policy.tmp_mb), "mode=1777")
            elif m.kind == "workdir":
                size_mb = policy.workdir_mb + -(-copy_size // MIB)
                inodes = copy_entries + _inodes(policy.workdir_mb)
                _tmpfs(m.path, size_mb, inodes, f"mode=700,uid={owner[0]},gid={owner[1]}")
                copy_tree(workdir_fd, m.path, owner)
            else:
                _bind(sources[m.path], m.path, readonly=m.kind == "readonly")
            if m.kind != "readonly" and m.kind != "kernel_dir":
                ours.append(m.path)
        _hide_files(files, workdir)
        for m in mounts:
            if m.kind == "cover":  # read-only once everything below is in place
                linux.mount(
                    None, m.path, None, linux.MS_REMOUNT | linux.MS_BIND | linux.MS_RDONLY | SAFE
                )
    finally:
        os.umask(old_umask)
        for fd in [*sources.values(), workdir_fd]:
            os.close(fd)


def tree_size(dir_fd: int) -> tuple[int, int]:
    """Bytes (in whole blocks) and entries of the folder a descriptor points to."""
    size, entries = 0, 0
    for _, info, child in _walk(dir_fd):
        entries += 1
        if stat.S_ISREG(info.st_mode):
            size += -(-info.st_size // BLOCK) * BLOCK
        if child is not None:
            child_size, child_entries = tree_size(child)
            size, entries = size + child_size + BLOCK, entries + child_entries
    return size, entries


def copy_tree(source_fd: int, target: Path, owner: tuple[int, int]) -> None:
    """Copy folders, regular files and symbolic links (as links) to target, owned by owner.

    Other entries (devices, pipes, sockets) are left out; set-user-id bits are dropped.
    """
    for name, info, child in _walk(source_fd):
        path = target / name
        if child is not None:
            path.mkdir(mode=0o700)
            copy_tree(child, path, owner)
        elif stat.S_ISLNK(info.st_mode):
            os.symlink(os.readlink(name, dir_fd=source_fd), path)
        elif stat.S_ISREG(info.st_mode):
            source = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=source_fd)
            try:
                with open(source, "rb", closefd=False) as reader, open(path, "xb") as writer:
                    while chunk := reader.read(MIB):
                        writer.write(chunk)
            finally:
                os.close(source)
        else:
            continue
        os.chown(path, *owner, follow_symlinks=False)
        if not stat.S_ISLNK(info.st_mode):
            os.chmod(
                path,
                stat.S_IMODE(info.st_mode) & 0o777 | 0o600 | (0o100 if child is not None else 0),
            )
            os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    os.chown(target, *owner)


def _walk(dir_fd: int) -> Iterator[tuple[str, os.stat_result, int | None]]:
    """Each entry's name, lstat and, for a folder, an open descriptor (closed after the step).

    Notebooks are left out, at any depth: the one being graded holds the hidden tests (nbgrader
    writes it into this folder with them restored, then runs it here), and a student's code
    must not read them. The kernel gets each cell's code from the grader, never from the file.
    """
    for name in sorted(os.listdir(dir_fd)):
        if name.lower().endswith(NOTEBOOK_SUFFIX):
            continue
        info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if not stat.S_ISDIR(info.st_mode):
            yield name, info, None
            continue
        child = os.open(
            name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd
        )
        try:
            yield name, info, child
        finally:
            os.close(child)


def _existing(paths: tuple[str, ...] | list[str]) -> list[str]:
    return list(dict.fromkeys(os.path.realpath(p) for p in paths if os.path.lexists(p)))


def _existing_dirs(paths: tuple[str, ...] | list[str]) -> list[Path]:
    return [Path(p) for p in _existing(paths) if os.path.isdir(p)]


def _nothing_exposed_between(holder: Path, path: Path, exposed: list[Path]) -> bool:
    """No mount of `exposed` lies inside holder and above (or at) path: path already shows
    what holder shows (hidden under a cover, or visible under a re-exposed folder)."""
    return not any(
        e.is_relative_to(holder) and e != holder and path.is_relative_to(e) for e in exposed
    )


def _inodes(mb: int) -> int:
    return max(MIN_INODES, mb * INODES_PER_MB)


def _open_source(m: Mount) -> int:
    flags = os.O_PATH | os.O_CLOEXEC | (os.O_DIRECTORY if m.is_dir else 0)
    return os.open(m.path, flags)


def _make_mountpoint(m: Mount, ours: list[Path]) -> None:
    """Create a missing mount point, only inside a tmpfs of ours (never on the real disk)."""
    if os.path.lexists(m.path):
        return
    if not any(m.path.is_relative_to(root) for root in ours):
        raise SandboxError("mount_namespace", f"{m.path} is missing and not under a sandbox tmpfs")
    missing = [p for p in [*reversed(m.path.parents), m.path] if not os.path.lexists(p)]
    for folder in missing if m.is_dir else missing[:-1]:
        os.mkdir(folder, COVER_MODE)  # makedirs would make the parents listable (0755)
    if not m.is_dir:
        os.close(os.open(m.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o400))


def _tmpfs(path: Path, size_mb: int, inodes: int, options: str) -> None:
    data = f"size={size_mb}m,nr_inodes={inodes},{options}"
    linux.mount("tmpfs", path, "tmpfs", SAFE, data)


def _bind(source_fd: int, target: Path, readonly: bool) -> None:
    # Not recursive: mounts below a re-exposed folder stay out of the kernel's view.
    linux.mount(f"/proc/self/fd/{source_fd}", target, None, linux.MS_BIND)
    flags = linux.MS_REMOUNT | linux.MS_BIND | SAFE | (linux.MS_RDONLY if readonly else 0)
    linux.mount(None, target, None, flags)


def _hide_files(files: list[Path], scratch_dir: Path) -> None:
    """Bind an empty file nobody may open (root's, mode 0) over each hidden file in view."""
    visible = [path for path in files if os.path.lexists(path) and not path.is_dir()]
    if not visible:
        return
    empty = scratch_dir / f".coursekit-hidden-{secrets.token_hex(8)}"
    os.close(os.open(empty, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC, 0))
    try:
        for path in visible:
            linux.mount(empty, path, None, linux.MS_BIND)
            linux.mount(None, path, None, linux.MS_REMOUNT | linux.MS_BIND | linux.MS_RDONLY | SAFE)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(empty)  # the binds keep the file itself; its name must not stay in view
