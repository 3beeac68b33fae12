//! The book becomes unwritable in the middle of a payment — a real full filesystem: the home
//! lives on a small tmpfs that the test fills while the gateway is answering. The cashier (CLI)
//! and the API caller are told the order number, that the outcome is not settled, and what to
//! do; once space is free again the order is settled from the channel's answer.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use paydesk_e2e::{sandbox_accounts, Cli, Run, Service};

/// A small tmpfs mounted for the test (root only), unmounted on drop.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(mb: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().ok()?;
        let ok = Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={mb}m"), "tmpfs"]).arg(dir.path()).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a filler file until the disk is full; returns its path.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let p = self.path().join("filler");
        let mut f = std::fs::File::create(&p).expect("filler");
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        // The last partial block.
        while f.write_all(&block[..512]).is_ok() {}
        let _ = f.sync_all();
        p
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

fn wait_for_order(cli: &Cli) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(o) = cli.ok(&["orders"]).as_array().and_then(|a| a.first().cloned()) {
            return o["order_no"].as_str().expect("order_no").to_string();
        }
        assert!(Instant::now() < deadline, "the order was never written");
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn arm_stall(sim: &Service, op: &str) {
    let r = reqwest::Client::new().post(format!("{}/_sim/fault", sim.url())).json(&serde_json::json!({"channel": "sandbox", "op": op, "kind": "timeout", "times": 1})).send().await.unwrap();
    assert!(r.status().is_success(), "fault armed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_mid_payment_says_the_order_and_what_to_do_and_settles_later() {
    let Some(disk) = SmallDisk::mount(6) else {
        eprintln!("SKIPPED: mounting a small tmpfs needs root; this test runs as root in `make test` on the build machines");
        return;
    };
    // The gateway answers a charge after 2 s; the disk fills up meanwhile.
    let sim = Service::start(None, &["sim", "--listen", "127.0.0.1:0", "--stall-ms", "2000"]);
    let cli = Cli { home: tempfile::TempDir::new_in(disk.path()).expect("home on the small disk") };
    cli.ok(&["init", "--till", "F1"]);
    cli.set_config(&[("channel_timeout_secs", "10")]);
    let file = sandbox_accounts(cli.home.path(), &sim.url());
    cli.ok(&["accounts", "import", file.to_str().unwrap()]);

    // The cashier at the terminal.
    arm_stall(&sim, "pay").await;
    let child = cli.command().args(["--json", "pay", "--amount", "5.00", "--auth-code", "990000000000000001"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let no = wait_for_order(&cli);
    let filler = disk.fill();
    let r: Run = child.wait_with_output().unwrap().into();
    assert_eq!(r.code, 4, "not settled: exit 4 (outcome not known yet): {r:?}");
    let e = &r.json()["error"];
    assert_eq!((e["code"].as_str(), e["order_no"].as_str()), (Some("unsettled"), Some(no.as_str())), "{e}");
    let msg = e["message"].as_str().unwrap();
    assert!(msg.contains(&no) && msg.contains("disk is full") && msg.contains("Do not charge again") && msg.contains(&format!("paydesk query {no}")), "{msg}");
    assert!(!msg.contains("database or disk is full"), "not only SQLite's words: {msg}");
    assert!(r.stderr.contains(&no), "and on the terminal: {}", r.stderr);

    // Space again: the order is settled from the channel's answer.
    std::fs::remove_file(&filler).unwrap();
    let q = cli.ok(&["query", &no]);
    assert_eq!(q["status"], "success", "{q}");

    // The API caller, through `paydesk serve`.
    let token = cli.ok(&["apikey", "create", "--name", "POS"])["token"].as_str().unwrap().to_string();
    let svc = Service::start(Some(cli.home.path()), &["serve", "--listen", "127.0.0.1:0"]);
    arm_stall(&sim, "pay").await;
    let url = format!("{}/api/v1/payments", svc.url());
    let api = tokio::spawn(async move {
        let r = reqwest::Client::new()
            .post(url)
            .bearer_auth(token)
            .header("Idempotency-Key", "till-7")
            .json(&serde_json::json!({"amount": "7.00", "auth_code": "990000000000000002"}))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap())
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let api_no = loop {
        let list = cli.ok(&["orders"]);
        if let Some(o) = list.as_array().unwrap().iter().find(|o| o["amount"] == "7.00") {
            break o["order_no"].as_str().unwrap().to_string();
        }
        assert!(Instant::now() < deadline, "the API's order was never written");
        std::thread::sleep(Duration::from_millis(50));
    };
    let filler = disk.fill();
    let (status, v) = api.await.unwrap();
    assert_eq!(status, 503, "{v}");
    assert_eq!((v["error"]["code"].as_str(), v["error"]["order_no"].as_str()), (Some("unsettled"), Some(api_no.as_str())), "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("Do not pay or refund again"), "{v}");
    // Space again: the running service settles it by itself.
    std::fs::remove_file(&filler).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let shown = cli.ok(&["show", &api_no]);
        if shown["status"] == "success" {
            break;
        }
        assert!(Instant::now() < deadline, "still {} after space came back", shown["status"]);
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(svc);
}
