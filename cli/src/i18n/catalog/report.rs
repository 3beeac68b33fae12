//! `report`: the sales summary in the terminal.

messages! {
    REPORT_HEAD: "销售额 {from} – {to}（{tz}），对比 {prev_from} – {prev_to}" | "Sales {from} – {to} ({tz}), compared with {prev_from} – {prev_to}",
    REPORT_PREV: "上期" | "prev",
    REPORT_BY_CHANNEL: "按通道" | "By channel",
    REPORT_CHANNEL_LINE: "{paid} 笔成功 / {tried} 笔尝试  {rate}  手续费 {fees}" | "{paid} paid / {tried} tried  {rate}  fees {fees}",
    REPORT_BY_METHOD: "按支付方式" | "By method",
    REPORT_METHOD_ORDERS: "{orders} 笔" | "{orders} orders",
    REPORT_FAILURES: "未支付原因" | "Why orders were not paid",
    REPORT_WROTE: "已写入 {count} 个文件：" | "Wrote {count} files:",
    REPORT_CHECK_OK: "统计表与订单、退款一致" | "analytics tables agree with the orders and refunds",
    REPORT_CHECK_BAD: "统计表与账本不一致：" | "analytics tables disagree with the book:",
    REPORT_PERIODS: "“{value}” 不是 today、yesterday、week、month 或 year" | "\"{value}\" is not today, yesterday, week, month or year",
    REPORT_THEMES: "“{value}” 不是 light 或 dark" | "\"{value}\" is not light or dark",
    KPI_GROSS: "销售额" | "Gross sales",
    KPI_REFUNDS: "退款" | "Refunds",
    KPI_NET: "净收入" | "Net",
    KPI_ORDERS: "订单数" | "Orders",
    KPI_AVERAGE: "客单价" | "Average ticket",
    KPI_SUCCESS_RATE: "支付成功率" | "Success rate",
    KPI_FEES: "手续费" | "Channel fees",
}
