//! A stable code with its values, for front ends to word in their own language: why
//! reconciliation flagged a line (`amount` {book, channel}) or what an order event says
//! (`paid` {raw}). The English sentence travels beside it for logs, the CLI and exports.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `code` names the rule or event, `args` its values (amounts in yuan, e.g. `"12.50"`,
/// statuses by name).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub code: String,
    pub args: BTreeMap<String, String>,
}

impl Reason {
    /// The values as stored beside the code (a JSON object).
    pub fn args_json(&self) -> String {
        serde_json::to_string(&self.args).unwrap_or_else(|_| "{}".into())
    }

    /// Read back from the stored code and values (values that do not parse are dropped).
    pub fn from_stored(code: String, args_json: &str) -> Reason {
        Reason { code, args: serde_json::from_str(args_json).unwrap_or_default() }
    }
}
