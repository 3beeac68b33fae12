//! `print`: receipts on this till's printer (a test page, a reprint of a sale, a refund, a shift
//! or Z report), or rendered to a PNG (`--png`) without any printer; `print render` turns bytes
//! a printer captured back into a picture.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};
use paydesk_core::Payments;
use paydesk_print::receipts::{self, Lang, Layout};
use paydesk_print::{render, transport, PrintError, Target};

use crate::ctx;
use crate::out::{CliError, Out, EXIT_FAILURE, EXIT_OK};

#[derive(Args, Debug)]
pub(crate) struct PrintArgs {
    #[command(subcommand)]
    what: PrintCmd,
    /// Render to this PNG file instead of printing.
    #[arg(long, global = true, value_name = "FILE")]
    png: Option<PathBuf>,
    /// Receipt language: zh-CN or en (default: the app's language).
    #[arg(long, global = true)]
    lang: Option<String>,
}

#[derive(Subcommand, Debug)]
pub(crate) enum PrintCmd {
    /// A test page: the shop's lines, Chinese text, a QR code.
    Test,
    /// Reprint a sale's receipt (every tender of a split sale).
    Order { order: String },
    /// Reprint a refund's receipt.
    Refund { refund: String },
    /// A shift's X or handover report (default: the open shift).
    Shift { shift: Option<String> },
    /// The latest Z report (this till's, or the store's).
    Z {
        #[arg(long)]
        store: bool,
    },
    /// Render bytes captured from a printer (a .bin file) to the PNG given with --png.
    Render {
        file: PathBuf,
        /// Paper width, mm (58 or 80).
        #[arg(long, default_value_t = 80)]
        paper: u16,
    },
}

fn print_error(e: PrintError) -> CliError {
    CliError { order_no: None, code: e.code(), message: e.to_string(), exit: EXIT_FAILURE }
}

fn layout(p: &Payments, lang: Option<&str>) -> Layout {
    let tag = lang.map(str::to_string).or_else(|| p.store().pref("lang").ok().flatten()).unwrap_or_else(|| "zh-CN".into());
    Layout::new(&p.settings().printer, Lang::from_tag(&tag), p.settings().tz().unwrap_or(chrono_tz::Asia::Shanghai))
}

/// Builds a receipt and sends it to the till's printer, waiting for the outcome.
pub(crate) async fn send(p: &Payments, home: &Path, title: &str, build: impl FnOnce(&Layout) -> Vec<u8>) -> Result<(), CliError> {
    let s = &p.settings().printer;
    let target = Target::from_settings(s, home).ok_or_else(|| print_error(PrintError::NotConfigured))?;
    let bytes = build(&layout(p, None));
    transport::send(&target, &bytes, Duration::from_secs(s.timeout_secs)).await.map_err(print_error)?;
    tracing::info!(job = title, "printed");
    Ok(())
}

pub(crate) async fn print(home: &Path, a: PrintArgs, o: &Out) -> Result<i32, CliError> {
    if let PrintCmd::Render { file, paper } = &a.what {
        let png = a.png.as_ref().ok_or_else(|| CliError::invalid("png", "say where to write the picture: --png FILE"))?;
        let bytes = std::fs::read(file).map_err(|e| CliError::invalid("file", format!("{}: {e}", file.display())))?;
        let dots = if *paper == 58 { 384 } else { 576 };
        let img = render::png(&bytes, dots, paydesk_charts::font_bytes()).map_err(CliError::other)?;
        std::fs::write(png, img).map_err(|e| CliError::other(format!("{}: {e}", png.display())))?;
        o.print(&serde_json::json!({"png": png}), || format!("wrote {}", png.display()));
        return Ok(EXIT_OK);
    }
    let p = ctx::open(home)?;
    let l = layout(&p, a.lang.as_deref());
    let (title, bytes) = match &a.what {
        PrintCmd::Test => ("test page".to_string(), receipts::test_page(&l)),
        PrintCmd::Order { order } => {
            let no = order.parse().map_err(|e| CliError::invalid("order", e))?;
            let orders = p.store().sale_orders(&no)?;
            (format!("sale {order}"), receipts::sale(&l, &orders, true))
        }
        PrintCmd::Refund { refund } => {
            let no = refund.parse().map_err(|e| CliError::invalid("refund", e))?;
            let r = p.store().refund(&no)?;
            let order = p.store().order(&r.order_no)?;
            (format!("refund {refund}"), receipts::refund(&l, &order, &r, true))
        }
        PrintCmd::Shift { shift } => {
            // An open shift prints blind (no expected cash before the count).
            let r = p.shift_report(shift.as_deref())?.blind();
            (format!("shift {}", r.shift.shift_no), receipts::shift_report(&l, &r))
        }
        PrintCmd::Z { store } => {
            let z = p.z_reports(*store, 1)?.into_iter().next().ok_or_else(|| CliError { order_no: None, code: "not_found", message: "no Z report yet: close the day first (paydesk day close)".into(), exit: crate::out::EXIT_NOT_FOUND })?;
            (format!("Z{:04}", z.z_no), receipts::z_report(&l, &z))
        }
        PrintCmd::Render { .. } => unreachable!("handled above"),
    };
    if let Some(png) = &a.png {
        let img = render::png(&bytes, l.dots(), paydesk_charts::font_bytes()).map_err(CliError::other)?;
        std::fs::write(png, img).map_err(|e| CliError::other(format!("{}: {e}", png.display())))?;
        o.print(&serde_json::json!({"printed": title, "png": png}), || format!("rendered {title} to {}", png.display()));
        return Ok(EXIT_OK);
    }
    send(&p, home, &title, |_| bytes).await?;
    o.print(&serde_json::json!({"printed": title}), || format!("printed {title}"));
    Ok(EXIT_OK)
}
