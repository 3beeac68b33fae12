//! `76/01` file download: the request goes to the file host (not the gateway), the verified reply
//! carries `fileName` and `fileContent` (Base64 of zlib data), inflated here to the ZIP.

use chrono::{NaiveDate, Utc};
use paydesk_core::channel::{ChannelError, StatementFile};

use super::map::{self, Code};
use super::wire::{self, get};
use super::{bill, client, UnionPay};

/// Longest a statement download may take (files of busy merchants run to megabytes).
pub(super) const FILE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

pub(super) async fn download(up: &UnionPay, day: NaiveDate) -> Result<StatementFile, ChannelError> {
    let s = &up.s;
    let own = [("txnTime", map::txn_time(Utc::now())), ("settleDate", day.format("%m%d").to_string()), ("fileType", "00".to_string())];
    let fields = client::request(s, wire::FILE, &own);
    let body = serde_urlencoded::to_string(&fields).map_err(|e| map::protocol(format!("cannot encode the file request: {e}")))?;
    let req = up.http.client().post(format!("{}/", s.file_host)).timeout(FILE_TIMEOUT).header("content-type", "application/x-www-form-urlencoded;charset=UTF-8").body(body);
    let resp = up.http.send(req).await?;
    let r = client::answer(s, wire::FILE, &resp, Utc::now())?;
    match map::resp(&r) {
        Code::Success => {}
        _ => return Err(map::error_of(&s.account, "statement download", &r)),
    }
    let content = get(&r, "fileContent").ok_or_else(|| map::protocol("the file reply has no fileContent"))?;
    let bytes = bill::decode_file_content(content).map_err(|e| map::protocol(format!("statement of {day}: {e}")))?;
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(map::protocol(format!("statement of {day}: the file is not a ZIP")));
    }
    let name = get(&r, "fileName").filter(|n| !n.contains(['/', '\\']) && !n.starts_with('.')).map(str::to_string);
    Ok(StatementFile { file_name: name.unwrap_or_else(|| format!("unionpay-{}-{}.zip", s.mer_id, day.format("%Y%m%d"))), bytes })
}
