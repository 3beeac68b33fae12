//! Helpers for end-to-end tests: find the `paydesk` binary, run it, start a simulator process.
#![allow(unreachable_pub)]

pub mod fixtures;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

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

/// A `paydesk` command with a clean environment: no `PAYDESK_HOME`, and English messages (the
/// locale says `en_US`) unless the test sets `LANG` itself.
pub fn paydesk() -> Command {
    let mut c = Command::new(paydesk_bin());
    c.env_remove("PAYDESK_HOME").env_remove("LC_ALL").env_remove("LC_MESSAGES").env("LANG", "en_US.UTF-8");
    c
}

/// A temporary Paydesk home driven through the CLI.
pub struct Cli {
    pub home: tempfile::TempDir,
}

impl Cli {
    pub fn new() -> Cli {
        // A home as `paydesk init` makes one: private to its owner (a looser one is warned about).
        let home = tempfile::tempdir().expect("tempdir");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700)).expect("chmod home");
        }
        Cli { home }
    }

    /// `paydesk --home H` with this home's machine key, in English (tests read some messages),
    /// ready for more arguments.
    pub fn command(&self) -> Command {
        let mut cmd = paydesk();
        cmd.arg("--home").arg(self.home.path()).env("PAYDESK_MACHINE_KEY", machine_key(self.home.path()));
        cmd
    }

    /// Runs `paydesk --home H --json ARGS…`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.command().arg("--json").args(args).output().expect("run paydesk").into()
    }

    /// Runs `paydesk --home H ARGS…` for people (no `--json`), in the language `lang` (`zh_CN.UTF-8`, …).
    pub fn human(&self, lang: &str, args: &[&str]) -> Run {
        self.command().env("LANG", lang).args(args).output().expect("run paydesk").into()
    }

    /// Sets top-level `key = value` settings in the home's config.toml (replacing the key's line
    /// when it is there).
    pub fn set_config(&self, pairs: &[(&str, &str)]) {
        let path = self.home.path().join("config.toml");
        let mut text = std::fs::read_to_string(&path).expect("config.toml");
        for (k, v) in pairs {
            let line = format!("{k} = {v}");
            match text.lines().find(|l| l.split('=').next().map(str::trim) == Some(*k)) {
                Some(old) => text = text.replace(old, &line),
                None => text = format!("{line}\n{text}"),
            }
        }
        std::fs::write(&path, text).expect("write config.toml");
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
    /// Everything it printed on stdout so far.
    lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Service {
    /// Kills the service at once (SIGKILL), as a crash would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts `paydesk --json ARGS…` and waits for its listening line.
    pub fn start(home: Option<&Path>, args: &[&str]) -> Service {
        let mut cmd = paydesk();
        if let Some(h) = home {
            cmd.arg("--home").arg(h).env("PAYDESK_MACHINE_KEY", machine_key(h));
        }
        cmd.arg("--json").args(args).stdout(Stdio::piped()).stderr(Stdio::inherit());
        Service::start_command(cmd, &args.join(" "))
    }

    /// Starts a prepared `paydesk` command (stdout piped) and waits for its listening line.
    pub fn start_command(mut cmd: Command, what: &str) -> Service {
        let args = what;
        let mut child = cmd.spawn().expect("spawn paydesk");
        let out = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = lines.clone();
        // Keep draining stdout for the child's whole life, so its later prints never fail.
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Some(rest) = line.trim().strip_prefix("\"listening\": \"") {
                    let _ = tx.send(rest.trim_end_matches(['"', ',']).trim_start_matches("http://").to_string());
                }
                kept.lock().unwrap_or_else(|p| p.into_inner()).push(line);
            }
        });
        let addr = rx.recv_timeout(std::time::Duration::from_secs(30)).unwrap_or_else(|_| panic!("paydesk {args:?} did not start"));
        Service { child, addr, lines }
    }

    /// The JSON object it printed when it started (`--json` banners: `serve`, `demo`).
    pub fn banner(&self) -> serde_json::Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let lines = self.lines.lock().unwrap_or_else(|p| p.into_inner()).clone();
            if let Some(end) = lines.iter().position(|l| l == "}") {
                return serde_json::from_str(&lines[..=end].join("\n")).expect("the banner is JSON");
            }
            assert!(std::time::Instant::now() < deadline, "no banner: {lines:?}");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Service {
    /// Stops the service as an operator would (SIGTERM: it shuts down and removes what it made,
    /// e.g. the demo's temporary home), and kills it only if it has not ended within 5 s.
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `paydesk demo` on ports of its own (simulator, local API and callbacks), with `history_days`
/// of sales history: demos of tests running side by side never meet on a default port.
pub fn demo_args(history_days: u32) -> Vec<String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port");
    ["demo", "--listen", "127.0.0.1:0", "--sim-listen", "127.0.0.1:0", "--callback-listen", &format!("127.0.0.1:{port}"), "--history-days", &history_days.to_string()]
        .map(str::to_string)
        .to_vec()
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
