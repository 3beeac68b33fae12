//! Which column of a bank statement export is what. Presets follow the big banks' corporate
//! online-banking exports (headers as those banks print them; see docs/reconciliation.md for the
//! sources); a shop whose bank is not among them writes its own mapping in config.toml.
//!
//! Every field lists the header names it accepts. A header matches when it is the name itself
//! (ignoring spaces, full-width brackets and a trailing `:`), or the name followed by a bracket —
//! Bank of China prints `交易金额[ Trade Amount ]`.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

/// One column given by name, or several alternatives.
fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// How to read one bank's export. Amounts come either as a credit and a debit column, or as one
/// signed amount column — optionally with a direction column whose `credit_words` mean money in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BankMapping {
    /// Short name (`--preset`, the UI's choice).
    pub name: String,
    /// What people call it, e.g. `工商银行 ICBC`.
    pub label: String,
    /// The booking date (or date and time in one cell).
    #[serde(deserialize_with = "one_or_many")]
    pub date: Vec<String>,
    #[serde(deserialize_with = "one_or_many")]
    pub time: Vec<String>,
    /// Money in (贷方).
    #[serde(deserialize_with = "one_or_many")]
    pub credit: Vec<String>,
    /// Money out (借方).
    #[serde(deserialize_with = "one_or_many")]
    pub debit: Vec<String>,
    /// One signed amount instead of credit/debit.
    #[serde(deserialize_with = "one_or_many")]
    pub amount: Vec<String>,
    /// The column that says in or out, for `amount`.
    #[serde(deserialize_with = "one_or_many")]
    pub direction: Vec<String>,
    /// Values of `direction` that mean money in (e.g. `来账`, `贷`).
    pub credit_words: Vec<String>,
    #[serde(deserialize_with = "one_or_many")]
    pub balance: Vec<String>,
    #[serde(deserialize_with = "one_or_many")]
    pub counterparty: Vec<String>,
    #[serde(deserialize_with = "one_or_many")]
    pub counterparty_account: Vec<String>,
    /// Every present column is kept in the line's note (摘要, 用途, 附言 …).
    #[serde(deserialize_with = "one_or_many")]
    pub memo: Vec<String>,
    /// The bank's serial number of the line.
    #[serde(deserialize_with = "one_or_many")]
    pub reference: Vec<String>,
    /// The shop's own account number, where printed per line.
    #[serde(deserialize_with = "one_or_many")]
    pub account: Vec<String>,
}

fn v(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// The built-in presets: 工商银行, 建设银行, 招商银行, 中国银行, 农业银行.
pub fn presets() -> Vec<BankMapping> {
    vec![
        BankMapping {
            name: "icbc".into(),
            label: "工商银行 ICBC".into(),
            date: v(&["交易时间", "交易日期"]),
            credit: v(&["贷方发生额"]),
            debit: v(&["借方发生额"]),
            balance: v(&["余额"]),
            counterparty: v(&["对方单位名称", "对方户名"]),
            counterparty_account: v(&["对方账号"]),
            memo: v(&["摘要", "用途", "个性化信息"]),
            reference: v(&["凭证号"]),
            account: v(&["本方账号"]),
            ..Default::default()
        },
        BankMapping {
            name: "ccb".into(),
            label: "建设银行 CCB".into(),
            date: v(&["交易时间", "记账日期"]),
            credit: v(&["贷方发生额(收入)", "贷方发生额"]),
            debit: v(&["借方发生额(支取)", "借方发生额"]),
            balance: v(&["余额"]),
            counterparty: v(&["对方户名"]),
            counterparty_account: v(&["对方账号"]),
            memo: v(&["摘要", "备注"]),
            reference: v(&["账户明细编号-交易流水号"]),
            account: v(&["账号"]),
            ..Default::default()
        },
        BankMapping {
            name: "cmb".into(),
            label: "招商银行 CMB".into(),
            date: v(&["交易日"]),
            time: v(&["交易时间"]),
            credit: v(&["贷方金额"]),
            debit: v(&["借方金额"]),
            balance: v(&["余额"]),
            counterparty: v(&["收/付方名称"]),
            counterparty_account: v(&["收/付方帐号", "收/付方账号"]),
            memo: v(&["摘要", "业务名称", "用途", "业务摘要"]),
            reference: v(&["流水号"]),
            ..Default::default()
        },
        BankMapping {
            name: "boc".into(),
            label: "中国银行 BOC".into(),
            date: v(&["交易日期"]),
            time: v(&["交易时间"]),
            amount: v(&["交易金额"]),
            direction: v(&["交易类型"]),
            credit_words: v(&["来账"]),
            balance: v(&["交易后余额"]),
            counterparty: v(&["付款人名称"]),
            counterparty_account: v(&["付款人账号"]),
            memo: v(&["摘要", "用途", "交易附言", "备注"]),
            reference: v(&["交易流水号"]),
            account: v(&["收款人账号"]),
            ..Default::default()
        },
        BankMapping {
            name: "abc".into(),
            label: "农业银行 ABC".into(),
            date: v(&["交易日期"]),
            time: v(&["交易时间戳", "交易时间"]),
            credit: v(&["收入金额"]),
            debit: v(&["支出金额"]),
            balance: v(&["本次余额"]),
            counterparty: v(&["对方户名"]),
            counterparty_account: v(&["对方账号"]),
            memo: v(&["交易说明", "交易摘要", "交易附言", "交易用途"]),
            reference: v(&["交易日志号", "日志号"]),
            ..Default::default()
        },
    ]
}

/// `[bank]` in config.toml: the bank leg's settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BankSettings {
    /// Days after a payout leaves the channel within which its deposit may arrive (weekends,
    /// holidays, the bank's own booking day).
    pub window_days: u32,
    /// Extra payer names or note words that mark a deposit as a channel's, by channel kind
    /// (added to the built-in ones, e.g. an acquiring bank that settles UnionPay).
    pub payers: BTreeMap<String, Vec<String>>,
    /// The shop's own column mappings, beside the presets.
    pub mappings: Vec<BankMapping>,
}

impl Default for BankSettings {
    fn default() -> Self {
        BankSettings { window_days: 3, payers: BTreeMap::new(), mappings: Vec::new() }
    }
}

/// How each channel's payouts show in a bank statement: the payer's name or words of the note.
pub fn default_payers(channel: &str) -> &'static [&'static str] {
    match channel {
        "alipay" => &["支付宝（中国）网络技术有限公司", "支付宝(中国)网络技术有限公司", "支付宝", "alipay"],
        "wechat" => &["财付通支付科技有限公司", "财付通", "微信", "tenpay", "wechat"],
        "unionpay" => &["中国银联股份有限公司", "银联", "unionpay"],
        _ => &[],
    }
}

impl BankSettings {
    pub fn validate(&self) -> Result<(), crate::config::ConfigError> {
        let bad = |problem: String| Err(crate::config::ConfigError::Invalid { field: "bank", problem });
        if self.window_days == 0 || self.window_days > 31 {
            return bad("window_days must be 1 to 31".into());
        }
        let mut names: Vec<String> = presets().into_iter().map(|p| p.name).collect();
        names.push("auto".into());
        for m in &self.mappings {
            if m.name.trim().is_empty() {
                return bad("every [[bank.mappings]] needs a name".into());
            }
            if names.contains(&m.name) {
                return bad(format!("mapping name {:?} is used twice (or is a preset's)", m.name));
            }
            names.push(m.name.clone());
            m.check().map_err(|e| crate::config::ConfigError::Invalid { field: "bank.mappings", problem: format!("{}: {e}", m.name) })?;
        }
        Ok(())
    }

    /// The presets and the shop's own mappings.
    pub fn mappings(&self) -> Vec<BankMapping> {
        let mut all = presets();
        all.extend(self.mappings.iter().cloned());
        all
    }

    /// Payer names and note words of a channel: the built-in ones and the configured ones.
    pub fn payers(&self, channel: &str) -> Vec<String> {
        let mut out: Vec<String> = default_payers(channel).iter().map(|s| s.to_string()).collect();
        out.extend(self.payers.get(channel).into_iter().flatten().cloned());
        out
    }
}

impl BankMapping {
    /// A mapping must say where the date and the money are.
    pub fn check(&self) -> Result<(), String> {
        if self.date.is_empty() {
            return Err("no date column".into());
        }
        let split = !self.credit.is_empty() || !self.debit.is_empty();
        if split != self.amount.is_empty() {
            return Err("give either credit/debit columns or one amount column".into());
        }
        if !self.direction.is_empty() && self.credit_words.is_empty() {
            return Err("a direction column needs credit_words (the values that mean money in)".into());
        }
        Ok(())
    }
}

/// A header cell in a comparable form: no spaces, ASCII brackets, no trailing colon.
pub fn normalize_header(h: &str) -> String {
    h.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '【' => '[',
            '】' => ']',
            c => c,
        })
        .collect::<String>()
        .trim_end_matches([':', '：'])
        .trim_start_matches('\u{feff}')
        .to_string()
}

/// Whether a (normalized) header is `name` (or `name` followed by a bracketed translation).
pub fn header_is(header: &str, name: &str) -> bool {
    let name = normalize_header(name);
    header == name || header.strip_prefix(name.as_str()).is_some_and(|rest| rest.starts_with(['[', '(']))
}
