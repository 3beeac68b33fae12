//! `pay`, `query`, `close`, `refund`, `sim`.

messages! {
    PAY_SCAN: "请顾客扫码支付 {amount} 元：{qr}" | "Scan to pay {amount} yuan: {qr}",
    PAY_ORDER: "订单 {order}" | "Order {order}",
    METHOD_WITH_AUTH_CODE: "使用 --auth-code 时不要再给 --method：付款码本身说明支付方式" | "not used with --auth-code: the payment code tells the method",
    REFUND_LINE: "订单 {order} 的退款 {refund}，{amount} 元：{status}" | "refund {refund} of {amount} yuan for {order}: {status}",
    QR_ENCODE_FAILED: "无法生成二维码：{detail}" | "cannot encode QR: {detail}",
    FILE_WRITE_FAILED: "无法写入 {path}：{detail}" | "cannot write {path}: {detail}",
    SIM_RUNNING: "网关模拟器已在 {url} 运行（控制接口在 /_sim 下）。按 Ctrl-C 停止。" | "Gateway simulator on {url} (control API under /_sim). Ctrl-C to stop.",
    SIM_SCANNED: "{order}：顾客已{action}；交易现为 {status}" | "{order}: payer did {action}; trade is now {status}",
    SIM_REFUSED: "{order}：模拟器拒绝：{error}" | "{order}: the simulator refused: {error}",
    SIM_UNREACHABLE: "无法连接 {url} 的模拟器：{detail}" | "simulator not reachable at {url}: {detail}",
    SIM_CANNOT_LISTEN: "无法监听 {addr}：{detail}" | "cannot listen on {addr}: {detail}",
    SIM_REFUSED_DEFAULT: "被拒绝" | "refused",
}
