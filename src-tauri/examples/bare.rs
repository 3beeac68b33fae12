//! A bare Tauri window (about:blank), built with the same crates and profile as the app: the
//! baseline the bench compares Paydesk's startup time and memory against.
use tauri::{WebviewUrl, WebviewWindowBuilder};

fn main() {
    let mut ctx = tauri::generate_context!();
    ctx.config_mut().app.windows.clear();
    let result = tauri::Builder::default()
        .setup(|app| {
            let url = WebviewUrl::External("about:blank".parse()?);
            WebviewWindowBuilder::new(app, "bare", url).title("bare-tauri-window").inner_size(1200.0, 780.0).build()?;
            Ok(())
        })
        .run(ctx);
    if let Err(e) = result {
        eprintln!("bare: {e}");
        std::process::exit(1);
    }
}
