//! A throwaway PostgreSQL for tests and benchmarks: Debian's `postgresql` binaries, `initdb` into
//! a temporary directory, `pg_ctl` on 127.0.0.1 at a free port, removed when dropped.
//!
//! Invariant: every server this starts is stopped (immediate mode) and its directory removed when
//! the [`TestPg`] is dropped, even if the test fails, and — through a watchdog process — when the
//! process that started it ends without dropping it; nothing listens beyond 127.0.0.1. `initdb`
//! refuses to run as root, so as root the cluster belongs to the `postgres` user (created by the
//! Debian package) or else `nobody`, and the commands run through `runuser`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A running (or stopped) throwaway server.
#[derive(Debug)]
pub struct TestPg {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    /// The unprivileged user the server runs as, when the tests run as root.
    run_as: Option<String>,
    running: bool,
}

fn find_bin() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("PAYDESK_PG_BIN") {
        return Ok(PathBuf::from(p));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| "PostgreSQL is not installed (/usr/lib/postgresql missing): run scripts/deps-apt.sh".to_string())?
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, b): &(u32, PathBuf)| b.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b).ok_or_else(|| "no PostgreSQL with initdb under /usr/lib/postgresql: run scripts/deps-apt.sh".into())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

fn user_exists(name: &str) -> bool {
    Command::new("id").arg("-u").arg(name).output().map(|o| o.status.success()).unwrap_or(false)
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

impl TestPg {
    /// Creates a cluster and starts it. Errors say what is missing (e.g. the package).
    pub fn start() -> Result<TestPg, String> {
        let bin = find_bin()?;
        let dir = tempfile::Builder::new().prefix("paydesk-pg-").tempdir().map_err(|e| e.to_string())?;
        let run_as = if is_root() { Some(if user_exists("postgres") { "postgres".to_string() } else { "nobody".to_string() }) } else { None };
        if let Some(u) = &run_as {
            let out = Command::new("chown").arg("-R").arg(u).arg(dir.path()).output().map_err(|e| e.to_string())?;
            if !out.status.success() {
                return Err(format!("chown {u}: {}", String::from_utf8_lossy(&out.stderr)));
            }
        }
        let mut pg = TestPg { dir, bin, port: 0, run_as, running: false };
        let data = pg.data();
        pg.run("initdb", &["-D", &data, "-U", "paydesk", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"])?;
        pg.start_server()?;
        pg.watch_owner()?;
        Ok(pg)
    }

    /// A watchdog that stops the server and removes its directory once this process is gone,
    /// however it ends: a `static` server is never dropped, and a test runner may kill a test.
    #[allow(clippy::zombie_processes, reason = "the watchdog outlives this process on purpose; init reaps it")]
    fn watch_owner(&self) -> Result<(), String> {
        let pg_ctl = self.bin.join("pg_ctl").display().to_string();
        let stop = match &self.run_as {
            Some(u) => format!("runuser -u {u} -- '{pg_ctl}'"),
            None => format!("'{pg_ctl}'"),
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} -D '{data}' -m immediate -w stop >/dev/null 2>&1; rm -rf '{dir}'",
            pid = std::process::id(),
            data = self.data(),
            dir = self.dir.path().display()
        );
        Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map(|_| ())
            .map_err(|e| format!("the server's watchdog: {e}"))
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run(&self, tool: &str, args: &[&str]) -> Result<Output, String> {
        let exe = self.bin.join(tool);
        let mut cmd = match &self.run_as {
            Some(u) => {
                let mut c = Command::new("runuser");
                c.arg("-u").arg(u).arg("--").arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        let out = cmd.args(args).current_dir(self.dir.path()).output().map_err(|e| format!("{}: {e}", exe.display()))?;
        if !out.status.success() {
            return Err(format!("{tool} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)));
        }
        Ok(out)
    }

    /// Starts the server (again): a fresh free port the first time, the same port after a stop.
    pub fn start_server(&mut self) -> Result<(), String> {
        if self.running {
            return Ok(());
        }
        if self.port == 0 {
            self.port = free_port()?;
        }
        let (data, sock) = (self.data(), self.dir.path().display().to_string());
        let opts = format!("-h 127.0.0.1 -p {} -k {sock} -F -c max_connections=60 -c shared_buffers=32MB", self.port);
        let log = self.dir.path().join("server.log").display().to_string();
        self.run("pg_ctl", &["-D", &data, "-o", &opts, "-l", &log, "-w", "-t", "60", "start"])?;
        self.running = true;
        Ok(())
    }

    /// Stops the server at once (a crash, as far as clients can tell); the data stays.
    pub fn stop_server(&mut self) -> Result<(), String> {
        if !self.running {
            return Ok(());
        }
        let data = self.data();
        self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"])?;
        self.running = false;
        Ok(())
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection URL for the `paydesk` superuser and database `db` (created by [`TestPg::create_db`]).
    pub fn url(&self, db: &str) -> String {
        format!("postgres://paydesk@127.0.0.1:{}/{db}?connect_timeout=5", self.port)
    }

    /// Creates a database (one per test keeps tests independent on one server).
    pub fn create_db(&self, name: &str) -> Result<String, String> {
        let port = self.port.to_string();
        self.run("createdb", &["-h", "127.0.0.1", "-p", &port, "-U", "paydesk", name])?;
        Ok(self.url(name))
    }

    /// Where the cluster lives.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Runs one of the server's client tools (`psql`, `pg_dump`…) against it as the superuser.
    pub fn tool(&self, tool: &str, args: &[&str]) -> Result<String, String> {
        let port = self.port.to_string();
        let mut all = vec!["-h", "127.0.0.1", "-p", &port, "-U", "paydesk"];
        all.extend_from_slice(args);
        let out = self.run(tool, &all)?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Drop for TestPg {
    fn drop(&mut self) {
        let _ = self.stop_server();
        if std::thread::panicking() {
            // The server's side of a failed test.
            if let Ok(log) = std::fs::read_to_string(self.dir.path().join("server.log")) {
                let tail: Vec<&str> = log.lines().rev().take(40).collect();
                eprintln!("--- PostgreSQL log (last lines) ---\n{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn starts_stops_and_restarts() {
        let mut pg = super::TestPg::start().unwrap();
        let url = pg.create_db("probe").unwrap();
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        assert_eq!(c.query_one("SELECT 1 + 1", &[]).unwrap().get::<_, i32>(0), 2);
        pg.stop_server().unwrap();
        assert!(c.query_one("SELECT 1", &[]).is_err(), "the server is gone");
        pg.start_server().unwrap();
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        assert_eq!(c.query_one("SELECT 2", &[]).unwrap().get::<_, i32>(0), 2);
        let dir = pg.dir().to_path_buf();
        drop(pg);
        assert!(!dir.exists(), "the cluster is removed");
    }
}
