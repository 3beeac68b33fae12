#!/usr/bin/env python3
"""The pandas baseline of the reconciliation benchmark (cli/benches/recon.rs): the same statement
file in its channel's real format and the same orders file that was imported into the book, read
with read_csv / read_fwf (only the columns needed, ids as strings) and matched with one outer
merge; then the same counts of differences and the same net. Prints one JSON line.

usage: bench-recon-pandas.py FORMAT STATEMENT ORDERS [FEE_BP]   (FORMAT: wechat, alipay, unionpay; FEE_BP: the account's fee rate, default 60)"""
import io, json, resource, sys, time, zipfile

t0 = time.perf_counter()
import pandas as pd  # noqa: E402  (the import is part of what a pandas user waits for)

fmt, statement, orders = sys.argv[1], sys.argv[2], sys.argv[3]
fee_bp = int(sys.argv[4]) if len(sys.argv) > 4 else 60
imported = time.perf_counter()
cpu0 = time.process_time()
t = time.perf_counter()


def cents(s):
    return (s.astype(float) * 100).round().astype("int64")


if fmt == "wechat":
    cols = ["交易时间", "微信订单号", "商户订单号", "交易状态", "订单金额", "手续费"]
    st = pd.read_csv(statement, encoding="utf-8-sig", dtype=str, usecols=cols)
    st = st[st["交易状态"].notna()]  # drop the summary footer (7 columns)
    st = st.apply(lambda c: c.str.lstrip("`"))
    st = pd.DataFrame({"order_no": st["商户订单号"], "amount": cents(st["订单金额"]), "fee": cents(st["手续费"])})
elif fmt == "alipay":
    with zipfile.ZipFile(statement) as z:
        name = next(n for n in z.namelist() if n.endswith("业务明细.csv") or ("汇总" not in n and n.endswith(".csv")))
        with z.open(name) as f:
            st = pd.read_csv(f, encoding="gbk", comment="#", dtype=str, usecols=["支付宝交易号", "商户订单号", "业务类型", "完成时间", "订单金额（元）", "服务费（元）"])
    st = pd.DataFrame({"order_no": st["商户订单号"].str.strip(), "amount": cents(st["订单金额（元）"]), "fee": cents(st["服务费（元）"])})
elif fmt == "unionpay":
    # The ZM layout: fixed byte widths, one separator byte between fields (GBK, ASCII here).
    widths = [3, 11, 11, 6, 10, 19, 12, 4, 2, 21, 2, 32, 2, 6, 10, 13, 13, 4, 15, 2, 2, 6, 2, 4, 32, 1, 21, 15, 1, 15, 32, 13, 13, 8, 32, 13, 13, 12, 2, 1, 32, 98]
    starts = [sum(w + 1 for w in widths[: n - 1]) for n in range(1, len(widths) + 1)]
    want = {7: "amount", 10: "query_id", 12: "order_no", 16: "fee", 20: "txn_type"}
    specs = [(starts[n - 1], starts[n - 1] + widths[n - 1]) for n in want]
    with zipfile.ZipFile(statement) as z:
        name = next(n for n in z.namelist() if "ZM_" in n)
        with z.open(name) as f:
            st = pd.read_fwf(f, colspecs=specs, names=list(want.values()), dtype=str, encoding="gbk", header=None)
    st = pd.DataFrame({"order_no": st["order_no"].fillna(""), "amount": st["amount"].astype("int64"), "fee": st["fee"].astype("int64")})
else:
    sys.exit(f"unknown format {fmt}")

st["order_no"] = st["order_no"].fillna("")
# Not a number Paydesk issued (ours are P + digits and a till id): the channel's own payments.
external = ~st["order_no"].str.startswith("P")
ext = int(external.sum())
st_known = st[~external]
book = pd.read_csv(orders, dtype={"order_no": str, "status": str}, usecols=["order_no", "status", "amount"])
book["amount"] = cents(book["amount"])
m = st_known.merge(book, on="order_no", how="outer", suffixes=("_st", "_book"), indicator=True)
both = m[m["_merge"] == "both"]
paid = both["status"].isin(["success", "refunded"])
amount_differs = int((paid & (both["amount_st"] != both["amount_book"])).sum())
status_differs = int((~paid).sum())
expected_fee = (both["amount_st"] * fee_bp + 5000) // 10000
fee_differs = int((paid & (both["amount_st"] == both["amount_book"]) & (both["fee"].abs() != expected_fee)).sum())
summary = {
    "rows": int(len(st)),
    "missing_in_book": int((m["_merge"] == "left_only").sum()),
    "missing_at_channel": int(((m["_merge"] == "right_only") & m["status"].isin(["success", "refunded"])).sum()),
    "amount_differs": amount_differs, "status_differs": status_differs, "fee_differs": fee_differs, "external": ext,
    "net": int(st["amount"].sum() - st["fee"].abs().sum()),
}
elapsed = time.perf_counter() - t
summary["seconds"] = round(elapsed, 3)
summary["process_seconds"] = round(time.perf_counter() - t0, 3)
summary["import_seconds"] = round(imported - t0, 3)
summary["cpu_seconds"] = round(time.process_time() - cpu0, 2)
summary["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(summary))
