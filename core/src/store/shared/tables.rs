//! The synced tables, described once: their columns, keys and how an incoming version of a row
//! meets the stored one. Push, pull, join and the verification are written against this list, so
//! a new table slots in as one entry (plus its journal triggers in a migration).
//!
//! Invariant: the merge of two versions of a row is the same in PostgreSQL and in SQLite (one SQL
//! text, two placeholder styles) and does not depend on the order in which versions arrive:
//! states only move forward (pending < processing < failed = closed < success < refunded, a tie
//! going to the later `updated_at`), set-once fields are never cleared, amounts refunded only
//! grow, and the fields only the order's own till may change (`idempotency_key`, `expires_at`)
//! are taken from that till alone.

/// A column's type in both books.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    Int,
    Text,
    /// The local id of a row of another `Origin` table: `(col_till, col_seq)` in the shared book.
    Ref(&'static str),
}

/// How rows are identified and who writes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keyed {
    /// A natural key (order number, refund number). Any till may hold a newer version; versions
    /// merge by `merge`.
    Natural(&'static str),
    /// Rows numbered by the till that wrote them (the local id column named here): `(till, seq)`
    /// in the shared book, `(origin_till, origin_seq)` locally — stamped on the till's own rows as
    /// they are written once the book is linked, copied from the shared book on the others'.
    Origin(&'static str),
}

/// How an incoming version meets a stored one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Merge {
    /// Rows never change after they are written.
    Keep,
    /// Only the till that wrote a row changes it: the incoming version replaces the stored one.
    Replace,
    /// The later `updated_at` wins.
    Later,
    /// Orders: by state rank, see the module doc.
    Order,
    /// Refunds: by state rank, the later `updated_at` on a tie.
    Refund,
}

/// One table of the till's journal.
#[derive(Debug)]
pub(crate) struct Table {
    pub name: &'static str,
    /// Columns shared by both books, in order (`Origin` tables: without `till`/`seq`).
    pub cols: &'static [(&'static str, Ty)],
    pub keyed: Keyed,
    pub merge: Merge,
}

use Ty::{Int as I, Text as T};

/// The journal, parents before children: pulling in this order never leaves a child without its
/// parent row.
pub(crate) static JOURNAL: [Table; 7] = [
    Table {
        name: "orders",
        cols: &[
            ("order_no", T), ("kind", T), ("method", T), ("channel", T), ("account", T), ("amount", I), ("refunded", I), ("fee", I),
            ("status", T), ("subject", T), ("channel_trade_no", T), ("qr_code", T), ("auth_code_masked", T), ("failure_code", T),
            ("failure_message", T), ("operator", T), ("till", T), ("idempotency_key", T), ("created_at", I), ("updated_at", I),
            ("expires_at", I), ("paid_at", I), ("principal", T), ("principal_key", T), ("origin", T), ("tendered", I), ("sale_id", T),
            ("sale_total", I),
        ],
        keyed: Keyed::Natural("order_no"),
        merge: Merge::Order,
    },
    Table {
        name: "refunds",
        cols: &[
            ("refund_no", T), ("order_no", T), ("amount", I), ("reason", T), ("status", T), ("channel_refund_no", T), ("failure_message", T),
            ("operator", T), ("created_at", I), ("updated_at", I), ("idempotency_key", T), ("till", T), ("principal", T), ("kind", T),
        ],
        keyed: Keyed::Natural("refund_no"),
        merge: Merge::Refund,
    },
    Table {
        name: "order_events",
        cols: &[("order_no", T), ("from_status", T), ("to_status", T), ("source", T), ("at", I), ("detail", T), ("reason", T), ("reason_args", T), ("principal", T)],
        keyed: Keyed::Origin("seq"),
        merge: Merge::Keep,
    },
    Table { name: "order_routes", cols: &[("order_no", T), ("decision", T), ("updated_at", I)], keyed: Keyed::Natural("order_no"), merge: Merge::Later },
    Table {
        name: "audit_log",
        cols: &[("at", I), ("actor", T), ("role", T), ("action", T), ("target", T), ("outcome", T), ("detail", T)],
        keyed: Keyed::Origin("seq"),
        merge: Merge::Keep,
    },
    // Reconciliation results: the run (changed only by the till that ran it) and its
    // discrepancies (resolved at any till). Matched lines and statement files stay at the till.
    Table {
        name: "recon_runs",
        cols: &[
            ("account", T), ("channel", T), ("day", T), ("trigger", T), ("operator", T), ("status", T), ("error", T), ("summary_json", T),
            ("started_at", I), ("finished_at", I),
        ],
        keyed: Keyed::Origin("id"),
        merge: Merge::Replace,
    },
    Table {
        name: "recon_items",
        cols: &[
            ("run_id", Ty::Ref("recon_runs")), ("kind", T), ("line", T), ("order_no", T), ("refund_no", T), ("book_json", T), ("channel_json", T),
            ("detail", T), ("reason", T), ("reason_args", T), ("state", T), ("note", T), ("updated_at", I), ("account", T), ("day", T),
            ("item_key", T), ("superseded_by", Ty::Ref("recon_runs")),
        ],
        keyed: Keyed::Origin("id"),
        merge: Merge::Later,
    },
];

/// Journal columns added after the shared book's first two migrations, with their default for
/// rows already there: PostgreSQL migration 3 adds them, migrations 1 and 2 create the tables
/// without them (as they shipped). Orders: where they came from and the till's sale (a shift
/// number stays at its till: shifts are the till's own). Discrepancies: their day, key and the
/// run that superseded them, so a re-run at one till settles them at every till.
pub(crate) const ADDED_IN_3: &[(&str, &str, &str)] = &[
    ("orders", "origin", "text NOT NULL DEFAULT 'paydesk'"),
    ("orders", "tendered", "bigint"),
    ("orders", "sale_id", "text"),
    ("orders", "sale_total", "bigint"),
    ("recon_items", "account", "text NOT NULL DEFAULT ''"),
    ("recon_items", "day", "text NOT NULL DEFAULT ''"),
    ("recon_items", "item_key", "text NOT NULL DEFAULT ''"),
    ("recon_items", "superseded_by_till", "text"),
    ("recon_items", "superseded_by_seq", "bigint"),
];

/// Journal columns added by PostgreSQL migration 4: a refund's kind (refund or same-day revoke).
pub(crate) const ADDED_IN_4: &[(&str, &str, &str)] = &[("refunds", "kind", "text NOT NULL DEFAULT 'refund'")];

/// True when `table.col` came after the first two migrations (added by 3 or 4).
fn added_later(table: &str, col: &str) -> bool {
    ADDED_IN_3.iter().chain(ADDED_IN_4).any(|(t, c, _)| *t == table && *c == col)
}

pub(crate) fn table(name: &str) -> Option<&'static Table> {
    JOURNAL.iter().find(|t| t.name == name)
}

/// Which book a statement is written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub(crate) fn ph(self, i: usize) -> String {
        match self {
            Dialect::Sqlite => format!("?{i}"),
            Dialect::Postgres => format!("${i}"),
        }
    }
}

const ORDER_RANK: &str = "CASE {} WHEN 'pending' THEN 0 WHEN 'processing' THEN 1 WHEN 'failed' THEN 2 WHEN 'closed' THEN 2 WHEN 'success' THEN 3 WHEN 'refunded' THEN 4 ELSE -1 END";
const REFUND_RANK: &str = "CASE {} WHEN 'pending' THEN 0 WHEN 'processing' THEN 1 WHEN 'failed' THEN 2 WHEN 'success' THEN 2 ELSE -1 END";

fn rank(tpl: &str, col: &str) -> String {
    tpl.replace("{}", col)
}

impl Table {
    /// The columns as the shared book has them (a reference is two columns).
    pub(crate) fn flat(&self) -> Vec<(String, Ty)> {
        let mut out = Vec::new();
        for (c, ty) in self.cols {
            match ty {
                Ty::Ref(_) => out.extend([(format!("{c}_till"), Ty::Text), (format!("{c}_seq"), Ty::Int)]),
                _ => out.push((c.to_string(), *ty)),
            }
        }
        out
    }

    fn pg_col_names(&self) -> String {
        self.flat().into_iter().map(|c| c.0).collect::<Vec<_>>().join(", ")
    }

    /// The local id column of the `Origin` table `name`.
    fn origin_id(name: &str) -> &'static str {
        match JOURNAL.iter().find(|t| t.name == name).map(|t| t.keyed) {
            Some(Keyed::Origin(id)) => id,
            _ => "id",
        }
    }

    /// The upsert of one incoming row. Parameters: the columns in order (for `Origin` tables
    /// preceded by `till`, `seq` in PostgreSQL and `origin_till`, `origin_seq` locally), then for
    /// `Natural` tables the writer's till and this book's own till ('' in the shared book).
    pub(crate) fn upsert_sql(&self, d: Dialect) -> String {
        let t = self.name;
        let mut cols: Vec<String> = Vec::new();
        if let Keyed::Origin(_) = self.keyed {
            match d {
                Dialect::Postgres => cols.extend(["till".to_string(), "seq".to_string()]),
                Dialect::Sqlite => cols.extend(["origin_till".to_string(), "origin_seq".to_string()]),
            }
        }
        let mut vals: Vec<String> = (1..=cols.len()).map(|i| d.ph(i)).collect();
        for (c, ty) in self.cols {
            let i = vals.len() + 1;
            match (ty, d) {
                (Ty::Ref(_), Dialect::Postgres) => {
                    cols.extend([format!("{c}_till"), format!("{c}_seq")]);
                    vals.extend([d.ph(i), d.ph(i + 1)]);
                }
                (Ty::Ref(r), Dialect::Sqlite) => {
                    cols.push(c.to_string());
                    vals.push(format!("(SELECT {} FROM {r} WHERE origin_till = ?{i} AND origin_seq = ?{})", Self::origin_id(r), i + 1));
                    vals.push(String::new());
                }
                _ => {
                    cols.push(c.to_string());
                    vals.push(d.ph(i));
                }
            }
        }
        let n = vals.len();
        vals.retain(|v| !v.is_empty());
        let (writer, me) = (d.ph(n + 1), d.ph(n + 2));
        if d == Dialect::Postgres {
            cols.push("rev".into());
            vals.push("nextval('sync_rev')".into());
            if let Keyed::Natural(_) = self.keyed {
                cols.push("writer".into());
                vals.push(writer.clone());
            }
        }
        let head = format!("INSERT INTO {t} ({}) VALUES ({})", cols.join(", "), vals.join(", "));
        let key = match self.keyed {
            Keyed::Natural(k) => k.to_string(),
            Keyed::Origin(_) if d == Dialect::Postgres => "till, seq".into(),
            Keyed::Origin(_) => "origin_till, origin_seq".into(),
        };
        let mut sets: Vec<String> = match self.merge {
            Merge::Keep => return format!("{head} ON CONFLICT ({key}) DO NOTHING"),
            Merge::Later => self.later_cols(d).into_iter().map(|c| format!("{c} = CASE WHEN excluded.updated_at > {t}.updated_at THEN excluded.{c} ELSE {t}.{c} END")).collect(),
            Merge::Replace => self.plain_cols().map(|c| format!("{c} = excluded.{c}")).collect(),
            Merge::Order | Merge::Refund => self.ranked_sets(&writer, &me),
        };
        if d == Dialect::Postgres {
            sets.push("rev = excluded.rev".into());
            if let Keyed::Natural(_) = self.keyed {
                sets.push("writer = excluded.writer".into());
            }
        }
        format!("{head} ON CONFLICT ({key}) DO UPDATE SET {}", sets.join(", "))
    }

    /// [`Table::upsert_sql`] for `rows` rows at once in PostgreSQL (one round trip): the rows'
    /// columns one after the other, then the writer's till and ''. The rows must have distinct keys.
    pub(crate) fn pg_upsert_rows(&self, rows: usize) -> String {
        let one = self.upsert_sql(Dialect::Postgres);
        let n = self.flat().len() + if let Keyed::Origin(_) = self.keyed { 2 } else { 0 };
        let (head, tail) = one.split_at(one.find(" ON CONFLICT").unwrap_or(one.len()));
        let cols = &head[..head.find(" VALUES").unwrap_or(head.len())];
        let writer = rows * n + 1;
        let values: Vec<String> = (0..rows)
            .map(|r| {
                let mut v: Vec<String> = (1..=n).map(|i| format!("${}", r * n + i)).collect();
                v.push("nextval('sync_rev')".into());
                if let Keyed::Natural(_) = self.keyed {
                    v.push(format!("${writer}"));
                }
                format!("({})", v.join(", "))
            })
            .collect();
        let tail = tail.replace(&format!("${}", n + 2), &format!("${}", writer + 1)).replace(&format!("${}", n + 1), &format!("${writer}"));
        format!("{cols} VALUES {}{tail}", values.join(", "))
    }

    /// Columns a newer version of a row sets (`Merge::Later`): all but the key, references too
    /// (a discrepancy moves to the run that found it again, or is superseded by one) — locally
    /// the reference's own column, in the shared book its till and sequence.
    fn later_cols(&self, d: Dialect) -> Vec<String> {
        let mut out = Vec::new();
        for (c, ty) in self.cols {
            match (ty, d) {
                _ if Keyed::Natural(c) == self.keyed => {}
                (Ty::Ref(_), Dialect::Postgres) => out.extend([format!("{c}_till"), format!("{c}_seq")]),
                _ => out.push(c.to_string()),
            }
        }
        out
    }

    /// Columns a merge may set: not the key, not references (set once).
    fn plain_cols(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.cols.iter().filter(|c| Keyed::Natural(c.0) != self.keyed && !matches!(c.1, Ty::Ref(_))).map(|c| c.0)
    }

    fn ranked_sets(&self, writer: &str, me: &str) -> Vec<String> {
        let t = self.name;
        let tpl = if self.merge == Merge::Order { ORDER_RANK } else { REFUND_RANK };
        let (new, old) = (rank(tpl, "excluded.status"), rank(tpl, &format!("{t}.status")));
        let win = format!("(({new}) > ({old}) OR (({new}) = ({old}) AND excluded.updated_at > {t}.updated_at))");
        let mut sets = Vec::new();
        for (c, _) in self.cols {
            let s = match *c {
                // The key, and what is set once when the row is written: the first version stays.
                "order_no" | "refund_no" | "kind" | "method" | "channel" | "account" | "amount" | "fee" | "subject" | "auth_code_masked"
                | "operator" | "till" | "created_at" | "reason" | "principal" | "principal_key" | "origin" | "tendered" | "sale_id" | "sale_total" => continue,
                "status" | "failure_code" | "failure_message" => format!("{c} = CASE WHEN {win} THEN excluded.{c} ELSE {t}.{c} END"),
                "updated_at" | "refunded" => format!("{c} = CASE WHEN excluded.{c} > {t}.{c} THEN excluded.{c} ELSE {t}.{c} END"),
                // Only the order's own till changes these (a fallback moves the key, shortens the
                // expiry); its own book never takes them back from anyone.
                "idempotency_key" | "expires_at" if self.merge == Merge::Order => {
                    format!("{c} = CASE WHEN {writer} = {t}.till AND {t}.till <> {me} THEN excluded.{c} ELSE {t}.{c} END")
                }
                "idempotency_key" => continue,
                // Learnt once (trade number, QR code, paid time): never cleared.
                _ => format!("{c} = CASE WHEN {win} THEN COALESCE(excluded.{c}, {t}.{c}) ELSE COALESCE({t}.{c}, excluded.{c}) END"),
            };
            sets.push(s);
        }
        sets
    }

    /// The PostgreSQL table.
    pub(crate) fn pg_create(&self) -> String {
        let mut cols: Vec<String> = Vec::new();
        if let Keyed::Origin(_) = self.keyed {
            cols.push("till text NOT NULL".into());
            cols.push("seq bigint NOT NULL".into());
        }
        for (c, ty) in self.flat() {
            if added_later(self.name, &c) {
                continue;
            }
            let ty = if ty == Ty::Int { "bigint" } else { "text" };
            let pk = if matches!(self.keyed, Keyed::Natural(k) if k == c) { " PRIMARY KEY" } else { "" };
            cols.push(format!("{c} {ty}{pk}"));
        }
        cols.push("rev bigint NOT NULL".into());
        if let Keyed::Origin(_) = self.keyed {
            cols.push("PRIMARY KEY (till, seq)".into());
        } else {
            cols.push("writer text NOT NULL".into());
        }
        format!("CREATE TABLE {} ({});\nCREATE INDEX {}_rev ON {} (rev);\n", self.name, cols.join(", "), self.name, self.name)
    }

    /// Local triggers that journal the till's own writes (only while the book is linked, and not
    /// for rows the pull is applying); on `Origin` tables they also stamp the till's own rows.
    pub(crate) fn sqlite_triggers(&self) -> String {
        let t = self.name;
        let on = "(SELECT value FROM sync_meta WHERE key = 'journal') = '1'";
        match self.keyed {
            Keyed::Natural(k) => format!(
                "CREATE TRIGGER sync_{t}_insert AFTER INSERT ON {t} WHEN {on} BEGIN INSERT INTO sync_journal (tbl, key) VALUES ('{t}', NEW.{k}); END;
                 CREATE TRIGGER sync_{t}_update AFTER UPDATE ON {t} WHEN {on} BEGIN INSERT INTO sync_journal (tbl, key) VALUES ('{t}', NEW.{k}); END;\n"
            ),
            Keyed::Origin(id) => format!(
                "CREATE UNIQUE INDEX {t}_origin ON {t} (origin_till, origin_seq);
                 CREATE TRIGGER sync_{t}_insert AFTER INSERT ON {t} WHEN {on} AND NEW.origin_till IS NULL BEGIN
                    UPDATE {t} SET origin_till = (SELECT value FROM sync_meta WHERE key = 'till'), origin_seq = NEW.{id} WHERE {id} = NEW.{id};
                    INSERT INTO sync_journal (tbl, key) VALUES ('{t}', NEW.{id}); END;
                 CREATE TRIGGER sync_{t}_update AFTER UPDATE ON {t} WHEN {on} AND OLD.origin_till IS NOT NULL BEGIN INSERT INTO sync_journal (tbl, key) VALUES ('{t}', NEW.{id}); END;\n"
            ),
        }
    }

    /// The local row of a journal entry, as the shared book's upsert takes it (without writer).
    pub(crate) fn local_select(&self) -> String {
        let t = self.name;
        let cols = self
            .cols
            .iter()
            .map(|(c, ty)| match ty {
                Ty::Ref(r) => {
                    let id = Self::origin_id(r);
                    format!("(SELECT origin_till FROM {r} WHERE {id} = {t}.{c}), (SELECT origin_seq FROM {r} WHERE {id} = {t}.{c})")
                }
                _ => c.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        match self.keyed {
            Keyed::Natural(k) => format!("SELECT {cols} FROM {} WHERE {k} = ?1", self.name),
            Keyed::Origin(id) => format!("SELECT origin_till, origin_seq, {cols} FROM {} WHERE {id} = ?1 AND origin_till IS NOT NULL", self.name),
        }
    }

    /// Rows of the shared book newer than a cursor (`$1`), oldest first, at most `$2`; rows that
    /// never change after they are written skip this till's own (`$3`).
    pub(crate) fn pg_select(&self) -> String {
        let cols = self.pg_col_names();
        let (lead, writer) = match self.keyed {
            Keyed::Natural(_) => ("", ", writer"),
            Keyed::Origin(_) => ("till, seq, ", ""),
        };
        let own = if self.merge == Merge::Keep { "AND till <> $3" } else { "" };
        format!("SELECT {lead}{cols}{writer}, rev FROM {} WHERE rev > $1 {own} ORDER BY rev LIMIT $2", self.name)
    }
}

/// The highest placeholder number in a statement (`?N` or `$N`): how many parameters it takes.
pub(crate) fn param_count(sql: &str) -> usize {
    let b = sql.as_bytes();
    let mut max = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'?' || c == b'$' {
            let digits: String = b[i + 1..].iter().take_while(|d| d.is_ascii_digit()).map(|&d| d as char).collect();
            max = max.max(digits.parse().unwrap_or(0));
        }
    }
    max
}

/// A table of the shop's shared state: written in the shared book (by any till, while online),
/// copied down whole to every till.
#[derive(Debug)]
pub(crate) struct ShopTable {
    pub pg: &'static str,
    pub local: &'static str,
    /// The key first.
    pub cols: &'static [(&'static str, Ty)],
}

pub(crate) static SHOP: [ShopTable; 4] = [
    ShopTable {
        pg: "tills",
        local: "sync_tills",
        cols: &[("till_id", T), ("store_id", T), ("host", T), ("joined_at", I), ("pushed_at", I), ("pushed_seq", I), ("seen_at", I)],
    },
    ShopTable { pg: "accounts", local: "accounts", cols: &[("name", T), ("channel", T), ("config_json", T), ("created_at", I), ("updated_at", I)] },
    ShopTable { pg: "users", local: "users", cols: &[("name", T), ("role", T), ("pin_hash", T), ("enabled", I), ("created_at", I), ("updated_at", I)] },
    ShopTable { pg: "shop_settings", local: "shared_settings", cols: &[("key", T), ("value", T), ("updated_at", I)] },
];

impl ShopTable {
    pub(crate) fn pg_select(&self) -> String {
        let cols: Vec<&str> = self.cols.iter().map(|c| c.0).collect();
        format!("SELECT {}, rev FROM {} WHERE rev > $1 ORDER BY rev", cols.join(", "), self.pg)
    }

    /// Replaces the local copy of a row (local-only columns, such as a user's failed logins, stay).
    pub(crate) fn local_upsert(&self) -> String {
        let cols: Vec<&str> = self.cols.iter().map(|c| c.0).collect();
        let vals: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
        let sets: Vec<String> = cols[1..].iter().map(|c| format!("{c} = excluded.{c}")).collect();
        format!("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {}", self.local, cols.join(", "), vals.join(", "), cols[0], sets.join(", "))
    }

    /// Writes a row in the shared book (parameters: the columns, then who writes).
    pub(crate) fn pg_upsert(&self) -> String {
        let cols: Vec<&str> = self.cols.iter().map(|c| c.0).collect();
        let vals: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
        let sets: Vec<String> = cols[1..].iter().map(|c| format!("{c} = excluded.{c}")).collect();
        format!(
            "INSERT INTO {} ({}, rev) VALUES ({}, nextval('sync_rev')) ON CONFLICT ({}) DO UPDATE SET {}, rev = excluded.rev",
            self.pg,
            cols.join(", "),
            vals.join(", "),
            cols[0],
            sets.join(", ")
        )
    }
}

pub(crate) fn shop_table(pg: &str) -> Option<&'static ShopTable> {
    SHOP.iter().find(|t| t.pg == pg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_row_upsert_is_the_single_one_repeated() {
        for t in &JOURNAL {
            let one = t.pg_upsert_rows(1);
            assert_eq!(one, t.upsert_sql(Dialect::Postgres), "{}", t.name);
            let three = t.pg_upsert_rows(3);
            let n = t.flat().len() + if let Keyed::Origin(_) = t.keyed { 2 } else { 0 };
            assert_eq!(param_count(&three), param_count(&one) + 2 * n, "{}", t.name);
            assert_eq!(three.matches("nextval").count(), 3);
        }
    }

    #[test]
    fn upserts_name_every_column_once() {
        for t in &JOURNAL {
            for d in [Dialect::Sqlite, Dialect::Postgres] {
                let sql = t.upsert_sql(d);
                for (c, _) in t.cols {
                    assert!(sql.contains(c), "{} {d:?} lacks {c}", t.name);
                }
                let sets = sql.split("DO UPDATE SET").nth(1).unwrap_or("");
                for (c, _) in t.cols {
                    assert!(sets.matches(&format!(" {c} = ")).count() <= 1 && !sets.starts_with(&format!("{c} = {c}")), "{} sets {c} twice", t.name);
                }
            }
        }
    }
}
