//! A bare Tauri window (a one-line HTML page, `ui/public/bare.html`), built with the same crates and profile as the app: the
//! baseline the bench compares Paydesk's startup time and memory against.
use tauri::{WebviewUrl, WebviewWindowBuilder};

fn main() {
    let mut ctx = tauri::generate_context!();
    ctx.config_mut().app.windows.clear();
    let result = tauri::Builder::default()
        .setup(|app| {
            // A real (one-line) page from the embedded assets (ui/public/bare.html), so WebKit
            // starts its web process as it does for the app.
            let url = WebviewUrl::App("bare.html".into());
            WebviewWindowBuilder::new(app, "bare", url).title("bare-tauri-window").inner_size(1200.0, 780.0).build()?;
            Ok(())
        })
        .run(ctx);
    if let Err(e) = result {
        eprintln!("bare: {e}");
        std::process::exit(1);
    }
}
