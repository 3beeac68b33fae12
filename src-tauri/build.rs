//! Tauri's build step: reads tauri.conf.json and the capabilities, checks the built UI exists.
fn main() {
    tauri_build::build()
}
