//! Helpers for end-to-end tests: find the `paydesk` binary, run it, start a simulator process.
#![allow(unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The `paydesk` binary built next to this test executable (`target/<profile>/paydesk`), or in
/// `$CARGO_TARGET_DIR/<profile>/` when the build directory is kept apart from the target
/// directory (`CARGO_BUILD_BUILD_DIR`: test executables live in the former, binaries in the latter).
pub fn paydesk_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/e2e-xxxx → target/<profile>/paydesk; with a separate build directory
    // (CARGO_BUILD_BUILD_DIR) the binaries are in $CARGO_TARGET_DIR/<profile> instead.
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let target = std::env::var_os("CARGO_TARGET_DIR").filter(|_| std::env::var_os("CARGO_BUILD_BUILD_DIR").is_some());
    let bin = match (target, dir.file_name()) {
        (Some(t), Some(profile)) => PathBuf::from(t).join(profile).join("paydesk"),
        _ => dir.join("paydesk"),
    };
    assert!(bin.exists(), "{} not built: run `cargo build -p paydesk` (make test does)", bin.display());
    bin
}

/// The result of one `paydesk` run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr))
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run { code: o.status.code().unwrap_or(-1), stdout: String::from_utf8_lossy(&o.stdout).into_owned(), stderr: String::from_utf8_lossy(&o.stderr).into_owned() }
    }
}

/// A temporary Paydesk home driven through the CLI.
pub struct Cli {
    pub home: tempfile::TempDir,
}

impl Cli {
    pub fn new() -> Cli {
        Cli { home: tempfile::tempdir().expect("tempdir") }
    }

    /// `paydesk --home H` with this home's machine key, ready for more arguments.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(paydesk_bin());
        cmd.arg("--home").arg(self.home.path()).env_remove("PAYDESK_HOME").env("PAYDESK_MACHINE_KEY", machine_key(self.home.path()));
        cmd
    }

    /// Runs `paydesk --home H --json ARGS…`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.command().arg("--json").args(args).output().expect("run paydesk").into()
    }

    pub fn ok(&self, args: &[&str]) -> serde_json::Value {
        let r = self.run(args);
        assert_eq!(r.code, 0, "paydesk {args:?} failed: {}\n{}", r.stdout, r.stderr);
        r.json()
    }
}

impl Default for Cli {
    fn default() -> Self {
        Self::new()
    }
}

/// A `paydesk` child process that prints `"listening": "<addr>"` once ready; killed on drop.
pub struct Service {
    pub child: Child,
    pub addr: String,
}

impl Service {
    /// Starts `paydesk --json ARGS…` and waits for its listening line.
    pub fn start(home: Option<&Path>, args: &[&str]) -> Service {
        let mut cmd = Command::new(paydesk_bin());
        if let Some(h) = home {
            cmd.arg("--home").arg(h).env("PAYDESK_MACHINE_KEY", machine_key(h));
        }
        let mut child = cmd.arg("--json").args(args).env_remove("PAYDESK_HOME").stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("spawn paydesk");
        let out = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        // Keep draining stdout for the child's whole life, so its later prints never fail.
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Some(rest) = line.trim().strip_prefix("\"listening\": \"") {
                    let _ = tx.send(rest.trim_end_matches(['"', ',']).trim_start_matches("http://").to_string());
                }
            }
        });
        let addr = rx.recv_timeout(std::time::Duration::from_secs(20)).unwrap_or_else(|_| panic!("paydesk {args:?} did not start"));
        Service { child, addr }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The machine key the test's `paydesk` runs seal imported keys with: one per test home, inside
/// it so it goes with the temporary home (a real one lives apart from the home).
pub fn machine_key(home: &Path) -> PathBuf {
    home.join("test-machine.key")
}

/// The repository's demo keys directory.
pub fn demo_keys() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../assets/demo/keys").canonicalize().expect("demo keys")
}

/// Writes an accounts file for a sandbox account against the simulator at `sim_url`.
pub fn sandbox_accounts(dir: &Path, sim_url: &str) -> PathBuf {
    let keys = demo_keys();
    let text = format!(
        "[[account]]\nname = \"sb\"\nchannel = \"sandbox\"\nfee_rate_bp = 60\nbase_url = \"{sim_url}/sandbox\"\n[account.params]\nmerchant_id = \"M100001\"\nprivate_key_file = \"{k}/merchant_private.pem\"\ngateway_public_key_file = \"{k}/gateway_public.pem\"\n",
        k = keys.display()
    );
    let p = dir.join("accounts.toml");
    std::fs::write(&p, text).expect("write accounts");
    p
}
