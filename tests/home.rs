//! Two processes, one home: CLI commands beside each other and beside a running service.


use paydesk_e2e::{sandbox_accounts, Cli, Run, Service};

fn setup() -> (Cli, Service) {
    let sim = Service::start(None, &["sim", "--listen", "127.0.0.1:0"]);
    let cli = Cli::new();
    cli.ok(&["init", "--till", "C1"]);
    let file = sandbox_accounts(cli.home.path(), &sim.url());
    cli.ok(&["accounts", "import", file.to_str().unwrap()]);
    (cli, sim)
}

#[test]
fn concurrent_cli_payments_all_get_their_own_number() {
    let (cli, _sim) = setup();
    // Started together, they open the book and reserve their numbers in the same milliseconds.
    let children: Vec<_> = (0..24)
        .map(|i| {
            let amount = format!("{}.00", i + 1);
            cli.command()
                .args(["--json", "pay", "--amount", &amount])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn paydesk")
        })
        .collect();
    let mut numbers = std::collections::HashSet::new();
    for c in children {
        let r: Run = c.wait_with_output().expect("paydesk ran").into();
        assert_eq!(r.code, 0, "every payment is taken: {r:?}");
        assert!(numbers.insert(r.json()["order_no"].as_str().expect("order_no").to_string()));
    }
    assert_eq!(numbers.len(), 24);
    assert_eq!(cli.ok(&["orders"]).as_array().map(Vec::len), Some(24));
}
