//! `harmonica kernel install | uninstall`: the kernelspec directory `harmonica`
//! where jupyter_core looks for kernels (user, a prefix, or the Python's sys.prefix).

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

/// The kernelspec's name: `jupyter ... --kernel harmonica`.
pub const NAME: &str = "harmonica";

const LOGO_32: &[u8] = include_bytes!("logo-32x32.png");
const LOGO_64: &[u8] = include_bytes!("logo-64x64.png");

/// Where the kernelspec goes, as `jupyter kernelspec install` names the places.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// The user's Jupyter data directory.
    User,
    /// `PREFIX/share/jupyter/kernels`.
    Prefix(PathBuf),
    /// The `sys.prefix` of the active Python (a virtualenv or conda env).
    SysPrefix,
}

/// Why installing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InstallError {
    /// No home directory to put a user install in.
    #[error("no home directory: set HOME or JUPYTER_DATA_DIR, or use --prefix")]
    NoHome,
    /// No Python environment was found for `--sys-prefix`.
    #[error("--sys-prefix: no VIRTUAL_ENV or CONDA_PREFIX, and `python3` could not say its sys.prefix ({0})")]
    NoPython(String),
    /// Writing or removing files failed.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// Nothing to uninstall.
    #[error("no harmonica kernelspec at {0}")]
    NotInstalled(PathBuf),
}

/// The `kernels` directory of a location.
pub fn kernels_dir(location: &Location) -> Result<PathBuf, InstallError> {
    let data = match location {
        Location::User => user_data_dir()?,
        Location::Prefix(p) => p.join("share").join("jupyter"),
        Location::SysPrefix => sys_prefix()?.join("share").join("jupyter"),
    };
    Ok(data.join("kernels"))
}

/// jupyter_core's user data directory.
fn user_data_dir() -> Result<PathBuf, InstallError> {
    if let Some(d) = std::env::var_os("JUPYTER_DATA_DIR") {
        return Ok(PathBuf::from(d));
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).ok_or(InstallError::NoHome)?;
    if cfg!(target_os = "macos") {
        return Ok(home.join("Library").join("Jupyter"));
    }
    let xdg = std::env::var_os("XDG_DATA_HOME").map(PathBuf::from).filter(|p| p.is_absolute());
    Ok(xdg.unwrap_or_else(|| home.join(".local").join("share")).join("jupyter"))
}

/// The prefix of the active Python environment.
fn sys_prefix() -> Result<PathBuf, InstallError> {
    for var in ["VIRTUAL_ENV", "CONDA_PREFIX"] {
        if let Some(p) = std::env::var_os(var).filter(|p| !p.is_empty()) {
            return Ok(PathBuf::from(p));
        }
    }
    let out = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.prefix)"])
        .output()
        .map_err(|e| InstallError::NoPython(e.to_string()))?;
    let prefix = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if !out.status.success() || prefix.is_empty() {
        return Err(InstallError::NoPython(String::from_utf8_lossy(&out.stderr).trim().to_owned()));
    }
    Ok(PathBuf::from(prefix))
}

/// The `kernel.json` that runs `exe` as the kernel.
pub fn kernel_json(exe: &Path) -> Value {
    json!({
        "argv": [exe.display().to_string(), "kernel", "--connection-file", "{connection_file}"],
        "display_name": "Harmonica",
        "language": "harmonica",
        "interrupt_mode": "message",
        "metadata": {"debugger": false},
    })
}

/// Writes the kernelspec for `exe` under `location`; returns its directory.
pub fn install(location: &Location, exe: &Path) -> Result<PathBuf, InstallError> {
    let dir = kernels_dir(location)?.join(NAME);
    std::fs::create_dir_all(&dir).map_err(|e| InstallError::Io(dir.clone(), e))?;
    let spec = serde_json::to_string_pretty(&kernel_json(exe)).unwrap_or_default();
    for (file, bytes) in [("kernel.json", spec.as_bytes()), ("logo-32x32.png", LOGO_32), ("logo-64x64.png", LOGO_64)] {
        let path = dir.join(file);
        std::fs::write(&path, bytes).map_err(|e| InstallError::Io(path, e))?;
    }
    Ok(dir)
}

/// Removes the kernelspec under `location`; returns the directory removed.
pub fn uninstall(location: &Location) -> Result<PathBuf, InstallError> {
    let dir = kernels_dir(location)?.join(NAME);
    if !dir.join("kernel.json").is_file() {
        return Err(InstallError::NotInstalled(dir));
    }
    std::fs::remove_dir_all(&dir).map_err(|e| InstallError::Io(dir.clone(), e))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installs_and_uninstalls_under_a_prefix() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let loc = Location::Prefix(tmp.path().to_path_buf());
        let dir = install(&loc, Path::new("/opt/bin/harmonica")).expect("installs");
        assert_eq!(dir, tmp.path().join("share/jupyter/kernels/harmonica"));
        let spec: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("kernel.json")).expect("reads")).expect("json");
        assert_eq!(spec["argv"], json!(["/opt/bin/harmonica", "kernel", "--connection-file", "{connection_file}"]));
        assert_eq!(spec["interrupt_mode"], "message");
        assert!(std::fs::read(dir.join("logo-64x64.png")).expect("logo").starts_with(b"\x89PNG"));
        uninstall(&loc).expect("uninstalls");
        assert!(!dir.exists());
        assert!(matches!(uninstall(&loc), Err(InstallError::NotInstalled(_))));
    }
}
