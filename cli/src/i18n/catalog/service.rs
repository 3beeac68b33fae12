//! `serve`, `status`, `demo`.

messages! {
    SERVING: "Paydesk 正在 http://{addr} 提供服务：渠道回调 /cb/<账户>，接口 /api/v1，状态 /status" | "Paydesk serving on http://{addr}: callbacks /cb/<account>, API /api/v1, status /status",
    RECOVERED: "已恢复 {count} 笔未完成的订单/退款。按 Ctrl-C 停止。" | "Recovered {count} unfinished order(s)/refund(s). Ctrl-C to stop.",
    LISTEN_SETTING_BAD: "设置 {value} 不是 主机:端口" | "setting {value} is not host:port",
    CANNOT_LISTEN: "无法监听 {addr}：{detail}" | "cannot listen on {addr}: {detail}",
    NOT_SERVING: "Paydesk 没有在 {url} 运行（用 `paydesk serve` 启动）" | "Paydesk is not serving at {url} (start it with `paydesk serve`)",
    STATUS_TUNNEL_CONNECTED: "已连接，{url}" | "connected, {url}",
    STATUS_TUNNEL_RECONNECTING: "重新连接中（第 {attempt} 次）：{error}" | "reconnecting (attempt {attempt}): {error}",
    STATUS_TUNNEL_CONNECTING: "连接中" | "connecting",
    STATUS_TUNNEL_OFF: "未开启" | "off",
    STATUS_POLLING_ONLY: "（无：仅主动查询）" | "(none: polling only)",
    STATUS_BODY: "Paydesk {version}，{url}\n  隧道            {tunnel}\n  回调地址        {callbacks}\n  未完成订单      {orders}\n  未完成退款      {refunds}\n  商户通知        {pending} 条待发，{failed} 条失败" | "Paydesk {version} at {url}\n  tunnel          {tunnel}\n  callbacks to    {callbacks}\n  open orders     {orders}\n  open refunds    {refunds}\n  notifications   {pending} pending, {failed} failed",
    STATUS_ACCOUNTS: "  账户" | "  accounts",
    STATUS_ACCOUNT: "    {account} {state} {rate}，连续失败 {streak} 次{demoted}" | "    {account} {state} {rate}, {streak} failures in a row{demoted}",
    STATUS_RATE: "{calls} 次调用成功 {pct}%" | "{pct} % of {calls} calls",
    STATUS_NO_CALLS: "尚无调用" | "no calls yet",
    STATUS_DEMOTED: "（已降级）" | " (demoted)",
    DEMO_BANNER: "Paydesk 演示\n  主目录    {home}\n  模拟器    {sim}\n  回调      http://{addr}/cb/<账户>\n\n在另一个终端里：\n  paydesk --home {home} pay --amount 12.34 --method alipay --wait 60   # 或 wechat、unionpay\n  paydesk sim scan --url {sim} <订单号>   # 顾客扫码支付\n  paydesk --home {home} pay --amount 5.00 --auth-code 280000000000000001   # 支付宝付款码（微信：130000000000000001，云闪付：6212345678901234560）\n  paydesk --home {home} orders\n  paydesk --home {home} report --period month   # 销售看板（已生成 {seeded} 笔历史订单）\n  paydesk --home {home} reconcile --account sandbox-main --export xlsx   # 昨天的对账，含预设差异" | "Paydesk demo\n  home       {home}\n  simulator  {sim}\n  callbacks  http://{addr}/cb/<account>\n\nIn another terminal:\n  paydesk --home {home} pay --amount 12.34 --method alipay --wait 60   # or wechat, unionpay\n  paydesk sim scan --url {sim} <ORDER>   # the customer pays the QR\n  paydesk --home {home} pay --amount 5.00 --auth-code 280000000000000001   # Alipay code (WeChat: 130000000000000001, UnionPay: 6212345678901234560)\n  paydesk --home {home} orders\n  paydesk --home {home} report --period month   # sales dashboard ({seeded} orders of history seeded)\n  paydesk --home {home} reconcile --account sandbox-main --export xlsx   # yesterday, with planted differences",
}
