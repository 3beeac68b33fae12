//! UnionPay's settlement (清算) side of the `76/01` file download: the acquirer settles each
//! 清算日期 straight to the merchant's bank account, and the ZM file of that date says how much,
//! line by line — field 16 商户手续费 and field 17 结算金额 (13 characters, `C` credit to the
//! merchant, `D` debit), beside field 7 交易金额.
//!
//! Each ZM record becomes a sale (txnType 01) or refund (04, 31) whose balance effect is its
//! 结算金额 and whose fee is field 16; a line whose 结算金额 is not its 交易金额 less the fee is
//! an error. The day's settlement batch — Σ 结算金额, transferred to the bank — is one payout
//! with the reference `{merId}-{yyyyMMdd}`. Layout sources: see `bill.rs` and
//! docs/reconciliation.md; the sign letters follow the same public demos and are unverified.

use std::io::Cursor;

use paydesk_core::settle::{FundKind, FundRow, FundTotals, ParsedFunds};
use paydesk_core::statement::StatementError;

use super::bill::{self, field, fen12, offset, signed13, ZM_WIDTHS};

/// 结算金额 (settleAmt).
const SETTLE_AMT: usize = 17;

fn err(line: u64, message: impl Into<String>) -> StatementError {
    StatementError { line, message: message.into() }
}

/// The settlement file's ZIP (or its bare ZM entry, whose date then comes from `fallback`).
pub fn parse(bytes: &[u8]) -> Result<ParsedFunds, StatementError> {
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(err(0, "not a UnionPay settlement ZIP (the 76/01 download holds INN…ZM_… files)"));
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| err(0, "not a ZIP file"))?;
    let (idx, date) = bill::zm_entry(&mut zip)?;
    let text = crate::archive::zip_entry(&mut zip, idx, bytes.len() as u64, crate::archive::LIMITS, "the ZM entry")?.read_all()?;
    let mut out = ParsedFunds { settle_date: Some(date), ..Default::default() };
    let mut merchant: Option<String> = None;
    let mut settled = 0i64;
    for (i, raw) in text.split(|b| *b == b'\n').enumerate() {
        let line = i as u64 + 1;
        let rec = raw.strip_suffix(b"\r").unwrap_or(raw);
        if rec.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let get = |n: usize| -> Result<String, StatementError> {
            let start = offset(n);
            let bytes = rec.get(start..(start + ZM_WIDTHS[n - 1]).min(rec.len())).unwrap_or(&[]);
            let (t, bad) = encoding_rs::GBK.decode_without_bom_handling(bytes);
            if bad {
                return Err(err(line, format!("field {n} is not GBK text")));
            }
            Ok(t.trim().to_string())
        };
        if rec.len() < offset(field::MER_ID) + ZM_WIDTHS[field::MER_ID - 1] {
            return Err(err(line, format!("record is {} bytes: too short for the ZM layout", rec.len())));
        }
        let txn = get(field::TXN_TYPE)?;
        let kind = match txn.as_str() {
            "01" => FundKind::Sale,
            "04" | "31" => FundKind::Refund,
            other => return Err(err(line, format!("txnType {other:?} (field 20) is not a payment (01), refund (04) or revoke (31)"))),
        };
        let amount = fen12(&get(field::TXN_AMT)?).ok_or_else(|| err(line, "txnAmt (field 7) is not 12 digits of fen"))?;
        let charge = signed13(&get(field::MER_CHARGE)?).ok_or_else(|| err(line, "merchant fee (field 16) is not an amount"))?;
        let settle_raw = get(SETTLE_AMT)?;
        // The balance effect: 结算金额 (C credits the merchant); absent in older files: derived.
        let effect = if settle_raw.is_empty() {
            match kind {
                FundKind::Sale => amount - charge,
                _ => -(amount + charge),
            }
        } else {
            -signed13(&settle_raw).ok_or_else(|| err(line, "settlement amount (field 17) is not an amount"))?
        };
        let gross = if kind == FundKind::Sale { effect + charge } else { -(effect + charge) };
        if gross != amount {
            return Err(err(line, format!("结算金额 {settle_raw} is not 交易金额 {amount} less the fee {charge} (fen)")));
        }
        let mer = get(field::MER_ID)?;
        match &merchant {
            None => merchant = Some(mer.clone()),
            Some(m) if *m != mer => return Err(err(line, format!("merchant {mer} differs from {m} on earlier lines"))),
            Some(_) => {}
        }
        settled += effect;
        let order_id = get(field::ORDER_ID)?;
        out.rows.push(FundRow {
            line,
            kind,
            time: None,
            amount: effect,
            fee: -charge,
            order_no: Some(order_id).filter(|s| !s.is_empty()),
            trade_no: Some(get(field::QUERY_ID)?).filter(|s| !s.is_empty()),
            flow_no: get(field::TRACE_NO)?,
            counterparty: None,
            memo: format!("{txn}/{}", get(field::TXN_SUB_TYPE)?),
            balance: None,
        });
    }
    let mer = merchant.unwrap_or_default();
    if settled > 0 {
        out.rows.push(FundRow {
            line: 0,
            kind: FundKind::Payout,
            time: None,
            amount: -settled,
            fee: 0,
            order_no: None,
            trade_no: None,
            flow_no: format!("{mer}-{}", date.format("%Y%m%d")),
            counterparty: None,
            memo: format!("清算 {}", date.format("%Y-%m-%d")),
            balance: None,
        });
    }
    out.merchant_id = mer;
    // The file declares nothing about itself: its own lines are its totals.
    out.totals = FundTotals::default();
    Ok(out)
}
