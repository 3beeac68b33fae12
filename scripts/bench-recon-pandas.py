#!/usr/bin/env python3
"""The pandas baseline of `cargo bench --bench recon`: the same GBK statement and the same book
orders (exported to CSV), read with read_csv (only the columns needed, ids as strings) and
matched with one outer merge; then the same summary figures. Prints one JSON line."""
import json, resource, sys, time

import pandas as pd

d = sys.argv[1]
cpu0 = time.process_time()
t = time.perf_counter()
st = pd.read_csv(f"{d}/statement.csv", encoding="gbk", comment="#", dtype=str,
                 usecols=["支付宝交易号", "商户订单号", "业务类型", "完成时间", "订单金额（元）", "服务费（元）"])
st["order_no"] = st["商户订单号"].str.strip()
st["amount"] = (st["订单金额（元）"].astype(float) * 100).round().astype("int64")
st["fee"] = (st["服务费（元）"].astype(float) * 100).round().astype("int64")
book = pd.read_csv(f"{d}/orders.csv", dtype={"order_no": str, "status": str})
m = st.merge(book, on="order_no", how="outer", suffixes=("_st", "_book"), indicator=True)
both = m[m["_merge"] == "both"]
paid = both["status"].isin(["success", "refunded"])
amount_differs = int((paid & (both["amount_st"] != both["amount_book"])).sum())
status_differs = int((~paid).sum())
expected_fee = (both["amount_st"] * 60 + 5000) // 10000
fee_differs = int((paid & (both["amount_st"] == both["amount_book"]) & (both["fee_st"] != expected_fee)).sum())
summary = {
    "rows": int(len(st)),
    "missing_in_book": int((m["_merge"] == "left_only").sum()),
    "missing_at_channel": int(((m["_merge"] == "right_only") & m["status"].isin(["success", "refunded"])).sum()),
    "amount_differs": amount_differs, "status_differs": status_differs, "fee_differs": fee_differs,
    "net": int(st["amount"].sum() - st["fee"].sum()),
}
elapsed = time.perf_counter() - t
summary["seconds"] = round(elapsed, 3)
summary["cpu_seconds"] = round(time.process_time() - cpu0, 2)
summary["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(summary))
