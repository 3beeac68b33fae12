//! The home's files are the till's own: the home is created `0700` (owner only), the book and its
//! WAL and shared-memory files `0600`; a home that already exists with access for others is
//! reported (never silently changed: the owner may share it on purpose, e.g. with a backup user).
//!
//! Invariant: no file Paydesk creates for the book is readable by another local user, whatever
//! the process umask; on systems without Unix permissions these are no-ops.

use std::path::Path;

/// Creates `dir` (and missing parents) readable by the owner only. An existing directory is
/// left as it is.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// A warning when `dir` exists and other users may read or enter it, naming the fix.
pub fn loose_dir_warning(dir: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then(|| {
            format!("the Paydesk home {} can be read by other users of this computer (mode {mode:03o}); run `chmod 700 {}`", dir.display(), dir.display())
        })
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

/// Makes `file` (if it exists) readable and writable by the owner only.
pub fn make_private(file: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(file) {
            Ok(m) if m.permissions().mode() & 0o077 != 0 => std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)),
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        Ok(())
    }
}

/// Creates `file` empty with mode `0600` if it does not exist yet (so SQLite, which gives its WAL
/// and shared-memory files the book's mode, never starts from the umask).
pub fn create_private_file(file: &Path) -> std::io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(file).map(|_| ())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn created_private_and_loose_ones_reported() {
        let t = tempfile::tempdir().unwrap();
        let home = t.path().join("a/b/home");
        create_private_dir(&home).unwrap();
        assert_eq!(mode(&home), 0o700);
        assert_eq!(loose_dir_warning(&home), None);
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o755)).unwrap();
        let w = loose_dir_warning(&home).unwrap();
        assert!(w.contains("mode 755") && w.contains("chmod 700"), "{w}");
        let f = home.join("book.db");
        create_private_file(&f).unwrap();
        assert_eq!(mode(&f), 0o600);
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        make_private(&f).unwrap();
        assert_eq!(mode(&f), 0o600);
        make_private(&home.join("missing")).unwrap();
    }
}
