//! Tauri commands, grouped by screen. Each is a few lines: check the role, call core, audit
//! sensitive actions, map the error. Logic lives in `paydesk-core`.

pub mod accounts;
pub mod analytics;
pub mod bank;
pub mod backup;
pub mod cashier;
pub mod demo;
pub mod import;
pub mod orders;
pub mod print;
pub mod recon;
pub mod session;
pub mod settings;
pub mod till;
pub mod shared;
pub mod setup;
pub mod users;

/// Every command the UI may call.
pub fn handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        session::app_info,
        session::login,
        session::logout,
        session::touch_session,
        session::confirm_pin,
        session::setup_owner,
        session::set_language,
        setup::setup_shop,
        setup::launch_demo,
        backup::backup_overview,
        backup::backup_now,
        backup::save_backup_settings,
        backup::restore_preview,
        backup::restore_backup,
        backup::move_export,
        backup::move_import,
        cashier::payment_methods,
        cashier::create_qr,
        cashier::barcode_pay,
        cashier::cancel_payment,
        cashier::current_sale,
        cashier::qr_svg,
        cashier::announce_again,
        orders::list_orders,
        orders::order_detail,
        orders::refund,
        orders::revoke,
        orders::close_order,
        orders::requery_order,
        orders::export_orders,
        orders::audit_log,
        import::import_orders_file,
        settings::get_settings,
        settings::save_settings,
        settings::callback_status,
        settings::save_limits,
        accounts::list_accounts,
        accounts::save_account,
        accounts::set_account_enabled,
        accounts::update_account_routing,
        accounts::import_key,
        accounts::test_account,
        users::list_users,
        users::add_user,
        users::set_user_pin,
        users::set_user_enabled,
        demo::demo_simulate,
        demo::demo_fault,
        analytics::analytics,
        analytics::export_analytics,
        recon::recon_overview,
        recon::recon_run,
        recon::recon_items,
        recon::recon_item_actions,
        recon::recon_requery,
        recon::recon_resolve,
        recon::recon_accept,
        recon::recon_export,
        recon::recon_alert,
        bank::bank_overview,
        bank::bank_settle,
        bank::bank_import,
        bank::bank_run,
        bank::bank_item_actions,
        bank::bank_recheck,
        bank::bank_resolve,
        bank::bank_export,
        till::shift_status,
        till::open_shift,
        till::close_shift,
        till::shift_report,
        till::shift_history,
        till::close_day,
        till::z_reports,
        till::export_till_report,
        till::record_tender,
        print::print_receipt,
        print::print_refund,
        print::print_report,
        print::retry_print,
        print::print_jobs,
        print::open_drawer,
        print::test_print,
        print::print_job_preview,
        print::receipt_preview,
        print::demo_printed,
        print::get_printer,
        print::save_printer,
        shared::link_status,
        shared::till_stores,
        shared::join_shared,
    ]
}
