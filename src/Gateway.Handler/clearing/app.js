// Clearing pages: plain JavaScript over the clearing APIs (/api/v1/clearing). No framework, nothing from a CDN.
"use strict";

const API = "/api/v1/clearing";
const REGIONS = { "440300": "Shenzhen 深圳", "441900": "Dongguan 东莞", "511300": "Nanchong 南充", "350200": "Xiamen 厦门" };
const FUNDS = [
  ["basic", "Basic fund 统筹基金"], ["supplementary", "Supplementary 补充"], ["majorIllness", "Major illness 大病保险"],
  ["assistance", "Assistance 医疗救助"], ["personalAccount", "Personal account 个人账户"], ["total", "Total 合计"],
];
const app = document.getElementById("app");
let generation = 0; // a newer render wins over a slower, older one

const money = v => Number(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const count = n => `${Number(n).toLocaleString("en-US")} ${Number(n) === 1 ? "settlement" : "settlements"}`;
const esc = s => String(s ?? "").replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const region = r => `${esc(r)} <span class="muted">${esc(REGIONS[r] || "")}</span>`;
const num = (v, cls = "") => `<td class="num ${cls}">${money(v)}</td>`;

// "Basic …" credentials of the sign-in form, or "session" behind App Service Authentication (its cookie signs each request).
function credentials() { return sessionStorage.getItem("clearing-auth"); }
function authHeaders() { const c = credentials(); return c && c !== "session" ? { Authorization: "Basic " + c } : {}; }
function user() { return JSON.parse(sessionStorage.getItem("clearing-user") || "null"); }

async function api(path, options = {}) {
  const response = await fetch(API + path, { ...options, headers: { ...(options.headers || {}), ...authHeaders(), "X-Requested-With": "XMLHttpRequest" } });
  if (response.status === 401) { signOut(); throw new Error("Please sign in again."); }
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) throw new Error(body.detail || body.title || `HTTP ${response.status}`);
  return body;
}

async function download(path, fileName) {
  const response = await fetch(API + path, { headers: { ...authHeaders(), "X-Requested-With": "XMLHttpRequest" } });
  if (!response.ok) { alert((await response.json()).detail); return; }
  const url = URL.createObjectURL(await response.blob());
  const a = Object.assign(document.createElement("a"), { href: url, download: fileName });
  document.body.appendChild(a); a.click(); a.remove(); URL.revokeObjectURL(url);
}

function signOut() {
  const session = credentials() === "session";
  sessionStorage.clear();
  if (session) { location.href = "/.auth/logout?post_logout_redirect_uri=/api/clearing/"; return; }
  location.hash = "#/signin";
}

// Behind App Service Authentication the browser's session cookie identifies it: ask who it is, or go and sign in.
async function trySession() {
  const response = await fetch(API + "/me", { headers: { "X-Requested-With": "XMLHttpRequest" } });
  if (response.ok) {
    sessionStorage.setItem("clearing-auth", "session");
    sessionStorage.setItem("clearing-user", JSON.stringify(await response.json()));
    return true;
  }
  const signIn = response.headers.get("X-Clearing-Sign-In");
  if (response.status === 401 && signIn && signIn.startsWith("/.auth/")) { location.href = signIn; return true; }
  return false;
}

function renderSignIn(message) {
  generation++;
  document.getElementById("nav").hidden = true;
  app.innerHTML = `
    <div class="card signin">
      <h1>Sign in 登录</h1>
      <form id="signin">
        <label>User 用户 <input name="user" autocomplete="username" required></label>
        <label>Password 密码 <input name="password" type="password" autocomplete="current-password" required></label>
        <button type="submit">Sign in 登录</button>
        <p class="error" id="signin-error">${esc(message || "")}</p>
      </form>
    </div>`;
  document.getElementById("signin").addEventListener("submit", async e => {
    e.preventDefault();
    const f = new FormData(e.target);
    const auth = btoa(unescape(encodeURIComponent(`${f.get("user")}:${f.get("password")}`)));
    const response = await fetch(API + "/me", { headers: { Authorization: "Basic " + auth, "X-Requested-With": "XMLHttpRequest" } });
    if (!response.ok) {
      document.getElementById("signin-error").textContent = response.status === 429
        ? `Too many failed sign-ins: try again in ${response.headers.get("Retry-After") || "a few"} s 登录失败次数过多，请稍后再试`
        : "Wrong user or password 用户名或密码错误";
      return;
    }
    sessionStorage.setItem("clearing-auth", auth);
    sessionStorage.setItem("clearing-user", JSON.stringify(await response.json()));
    location.hash = "#/";
    render();
  });
}

function chart(nets) {
  // Net position per region as horizontal bars around zero (SVG, drawn here).
  const width = 560, row = 30, left = 150, height = nets.length * row + 20;
  const max = Math.max(1, ...nets.map(n => Math.abs(Number(n.net))));
  const mid = left + (width - left) / 2, scale = (width - left) / 2 / max;
  const bars = nets.map((n, i) => {
    const v = Number(n.net), w = Math.abs(v) * scale, x = v >= 0 ? mid : mid - w, y = 10 + i * row;
    return `<text x="0" y="${y + 17}">${esc(n.region)} ${esc((REGIONS[n.region] || "").split(" ")[0])}</text>
      <rect x="${x}" y="${y + 4}" width="${Math.max(w, 1)}" height="18" fill="${v >= 0 ? "#1f7a3a" : "#b3261e"}"><title>${esc(n.region)}: ${money(v)}</title></rect>
      <text x="${v >= 0 ? x + w + 4 : x - 4}" y="${y + 17}" text-anchor="${v >= 0 ? "start" : "end"}">${money(v)}</text>`;
  }).join("");
  return `<svg id="net-chart" role="img" aria-label="Net position per region" viewBox="0 0 ${width + 90} ${height}" width="100%" style="max-width:${width + 90}px">
    <line x1="${mid}" y1="0" x2="${mid}" y2="${height}" stroke="#999"/>${bars}</svg>`;
}

async function renderOverview(period) {
  const mine = generation;
  const periods = await api("/periods");
  period = period || periods.current;
  const data = await api(`/periods/${period}/positions`);
  const statements = data.closed ? await api(`/periods/${period}/statements`) : [];
  const me = user();
  const regions = data.regions;
  const cell = (h, t) => data.positions.find(p => p.home === h && p.treatment === t);
  const matrix = `<table id="matrix"><thead><tr><th>Home 参保地 ↓ / Treatment 就医地 →</th>${regions.map(r => `<th class="num">${region(r)}</th>`).join("")}<th class="num">Owes 应付</th></tr></thead><tbody>
    ${regions.map(h => `<tr><th>${region(h)}</th>${regions.map(t => {
      const p = cell(h, t);
      if (h === t) return `<td class="num">—</td>`;
      return p ? `<td class="num"><a href="#/pair/${period}/${h}/${t}">${money(p.funds.total)}</a><br><small>${count(p.settlements)}</small></td>` : `<td class="num">0.00</td>`;
    }).join("")}${num(data.positions.filter(p => p.home === h).reduce((a, p) => a + Number(p.funds.total), 0))}</tr>`).join("")}
    </tbody></table>`;
  const funds = `<table id="fund-totals"><thead><tr>${FUNDS.map(([, l]) => `<th class="num">${l}</th>`).join("")}</tr></thead>
    <tbody><tr>${FUNDS.map(([k]) => num(data.totals[k])).join("")}</tr></tbody></table>`;
  const nets = `<table id="nets"><thead><tr><th>Region 地区</th><th class="num">Receivable 应收</th><th class="num">Payable 应付</th><th class="num">Net 净额</th></tr></thead><tbody>
    ${data.netting.regions.map(n => `<tr><td>${region(n.region)}</td>${num(n.receivable)}${num(n.payable)}${num(n.net, Number(n.net) < 0 ? "neg" : "pos")}</tr>`).join("")}
    <tr><th>Sum 合计</th><td></td><td></td>${num(data.netting.sum)}</tr></tbody></table>
    <h2>Payment instructions 划拨指令</h2>
    <table id="instructions"><thead><tr><th>From 付款方</th><th>To 收款方</th><th class="num">Amount 金额</th></tr></thead><tbody>
    ${data.netting.instructions.map(i => `<tr><td>${esc(i.from)}</td><td>${esc(i.to)}</td>${num(i.amount)}</tr>`).join("") || `<tr><td colspan="3">None 无</td></tr>`}</tbody></table>`;
  const statementRows = statements.map(s => `<tr><td><a href="#/pair/${period}/${s.home}/${s.treatment}">${esc(s.home)} → ${esc(s.treatment)}</a></td>${num(s.funds.total)}<td class="num">${s.settlements}</td>
    <td><span class="status ${esc(s.status)}">${esc(s.status)}</span></td><td><span class="status ${esc(s.homeStatus)}">${esc(s.homeStatus)}</span></td><td><span class="status ${esc(s.treatmentStatus)}">${esc(s.treatmentStatus)}</span></td></tr>`).join("");
  if (mine !== generation) return;
  app.innerHTML = `
    <div class="toolbar">
      <h1>Period 清算期 ${esc(period)} <span class="status ${data.closed ? "closed" : ""}" id="period-status">${data.closed ? "closed 已关账" : "open 开放"}</span></h1>
      <label>Switch period 切换 <select id="period-select">${periods.periods.map(p => `<option ${p.period === period ? "selected" : ""} value="${esc(p.period)}">${esc(p.period)} (${esc(p.status)})</option>`).join("")}</select></label>
      ${data.closed ? "" : `<button id="close-period" ${me && me.canClose ? "" : "disabled title=\"Closing role only 仅限关账角色\""}>Close period 关账</button>`}
    </div>
    <p class="error" id="action-error"></p>
    <div class="card"><h2>Positions 头寸矩阵 (what each home region owes each treatment region)</h2>${matrix}<p>${count(data.settlements)} 笔</p></div>
    <div class="card"><h2>Totals per fund 各基金合计</h2>${funds}</div>
    <div class="grid2">
      <div class="card"><h2>Multilateral netting 多边轧差</h2>${nets}</div>
      <div class="card"><h2>Net positions 净头寸</h2>${chart(data.netting.regions)}</div>
    </div>
    ${data.closed ? `<div class="card"><h2>Statements 对账单</h2><table id="statements"><thead><tr><th>Pair 地区对</th><th class="num">Total 合计</th><th class="num">Settlements 笔数</th><th>Status 状态</th><th>Home side 参保地</th><th>Treatment side 就医地</th></tr></thead><tbody>${statementRows}</tbody></table></div>` : ""}`;
  document.getElementById("period-select").addEventListener("change", e => { location.hash = `#/period/${e.target.value}`; });
  const close = document.getElementById("close-period");
  if (close) close.addEventListener("click", async () => {
    if (!confirm(`Close period ${period}? Later postings go to the next period. 确认关账？`)) return;
    try { await api(`/periods/${period}/close`, { method: "POST" }); render(); }
    catch (err) { document.getElementById("action-error").textContent = err.message; }
  });
}

const FILTERS = ["hospital", "from", "to", "status", "min", "max"];

function sideAnswer(label, id, side) {
  return `<div class="side"><b>${label}</b> ${region(side.region)}: <span class="status ${esc(side.status)}" id="${id}-status">${esc(side.status)}</span>
    ${side.by ? `<small class="muted">by ${esc(side.by)} · ${esc(String(side.at || "").replace("T", " ").slice(0, 16))} UTC</small>` : ""}
    ${side.reason ? `<div id="${id}-reason">${side.status === "disputed" ? "Dispute 争议" : "Note 备注"}: ${esc(side.reason)}</div>` : ""}
    ${side.settlementIds && side.settlementIds.length ? `<div id="${id}-ids">Settlements 结算号: ${side.settlementIds.map(x => `<a href="#/settlement/${encodeURIComponent(x)}">${esc(x)}</a>`).join(", ")}</div>` : ""}</div>`;
}

async function renderPair(period, home, treatment, query) {
  const mine = generation;
  const params = new URLSearchParams(query || "");
  const filter = Object.fromEntries(FILTERS.map(k => [k, params.get(k) || ""]));
  const active = new URLSearchParams(Object.entries(filter).filter(([, v]) => v));
  const data = await api(`/periods/${period}/statements/${home}/${treatment}`);
  let entries, filterError = "";
  try {
    entries = await api(`/periods/${period}/entries?home=${home}&treatment=${treatment}&pageSize=20${active.toString() ? "&" + active : ""}${params.get("page") ? "&page=" + encodeURIComponent(params.get("page")) : ""}`);
  } catch (err) { entries = { items: [], next: null }; filterError = err.message; }
  const s = data.statement, p = data.position, me = user();
  const fundsRow = f => FUNDS.map(([k]) => num(f[k])).join("");
  const ownSides = me ? (me.respondsFor || []).filter(r => r === home || r === treatment) : [];
  const mySide = ownSides.length === 1 ? ownSides[0] : null;
  const pageNo = Number(params.get("n") || 1);
  if (mine !== generation) return;
  app.innerHTML = `
    <p><a href="#/period/${period}">← Period 清算期 ${esc(period)}</a></p>
    <h1>${region(home)} → ${region(treatment)}</h1>
    <div class="card"><h2>${s ? `Statement 对账单 <span class="status ${esc(s.status)}" id="statement-status">${esc(s.status)}</span>` : "Position (period open) 头寸（未关账）"}</h2>
      <table id="pair-funds"><thead><tr>${FUNDS.map(([, l]) => `<th class="num">${l}</th>`).join("")}<th class="num">Settlements 笔数</th></tr></thead>
      <tbody><tr>${fundsRow(s ? s.funds : p.funds)}<td class="num">${s ? s.settlements : p.settlements}</td></tr></tbody></table>
      ${s ? `<div class="sides">${sideAnswer("Home side 参保地", "home", s.homeSide)}${sideAnswer("Treatment side 就医地", "treatment", s.treatmentSide)}</div>
        ${mySide ? `<form class="inline" id="respond">
          <input type="hidden" name="side" value="${esc(mySide)}">
          <span>Answer for 代表 ${region(mySide)} ${mySide === home ? "home 参保地" : "treatment 就医地"}</span>
          <label>Reason 原因 <input name="reason" size="28"></label>
          <label>Settlement ids (dispute) 争议结算号 <input name="ids" size="28" placeholder="H…~…, H…~…"></label>
          <button type="submit" name="action" value="confirm">Confirm 确认</button>
          <button type="submit" name="action" value="dispute" class="secondary">Dispute 争议</button>
        </form>` : `<p class="muted" id="respond-note">Only a region user of ${esc(home)} or ${esc(treatment)} confirms or disputes 仅限双方地区用户确认或争议.</p>`}
        ${data.responses && data.responses.length ? `<details id="history"><summary>History 历史 (${data.responses.length})</summary><table><tbody>
          ${data.responses.map(r => `<tr><td>${esc(String(r.at).replace("T", " ").slice(0, 16))}</td><td>${esc(r.side)}</td><td>${esc(r.by)}</td><td><span class="status ${esc(r.status)}">${esc(r.status)}</span></td>
          <td style="white-space:normal">${esc(r.reason || "")} ${(r.settlementIds || []).map(esc).join(", ")}</td></tr>`).join("")}</tbody></table></details>` : ""}
        <p><button class="secondary" id="statement-csv">Download statement CSV 下载对账单</button></p>` : ""}
      <p class="error" id="action-error"></p>
    </div>
    <div class="card"><h2>Settlements 结算明细</h2>
      <form class="inline" id="filters">
        <label>Hospital 医院 <input name="hospital" value="${esc(filter.hospital)}" size="12"></label>
        <label>From 起 <input name="from" type="date" value="${esc(filter.from)}"></label>
        <label>To 止 <input name="to" type="date" value="${esc(filter.to)}"></label>
        <label>Entry 分录 <select name="status">${[["", "All 全部"], ["posting", "Posting 记账"], ["reversal", "Reversal 冲正"]].map(([v, l]) => `<option value="${v}" ${filter.status === v ? "selected" : ""}>${l}</option>`).join("")}</select></label>
        <label>Min amount 最小 <input name="min" value="${esc(filter.min)}" size="8" inputmode="decimal"></label>
        <label>Max amount 最大 <input name="max" value="${esc(filter.max)}" size="8" inputmode="decimal"></label>
        <button type="submit" class="secondary">Filter 筛选</button>
        ${active.toString() ? `<a class="button secondary-link" id="clear-filters" href="#/pair/${period}/${home}/${treatment}">Clear 清除</a>` : ""}
        <button type="button" class="secondary" id="entries-csv">Download entries CSV 下载明细${active.toString() ? " (filtered 已筛选)" : ""}</button>
      </form>
      <p class="error" id="filter-error">${esc(filterError)}</p>
      <table id="entries"><thead><tr><th>Settlement 结算号</th><th>Hospital 医院</th><th>Posted 记账时间</th><th>Entry 分录</th>${FUNDS.map(([, l]) => `<th class="num">${l}</th>`).join("")}</tr></thead><tbody>
      ${entries.items.map(e => `<tr><td><a href="#/settlement/${encodeURIComponent(e.settlementId)}">${esc(e.settlementId)}</a></td><td>${esc(e.hospital)}</td>
        <td>${esc(String(e.postedAt || "").replace("T", " ").slice(0, 16))}</td>
        <td>${e.reversal ? `<span class="status disputed">reversal 冲正</span>` : "posting 记账"}</td>${fundsRow(e.funds)}</tr>`).join("") || `<tr><td colspan="10">None 无</td></tr>`}</tbody></table>
      <p class="pager">Page 第 <span id="page-no">${pageNo}</span> 页
        ${pageNo > 1 ? `<a id="first-page" href="#/pair/${period}/${home}/${treatment}?${active}">← First page 首页</a>` : ""}
        ${entries.next ? `<a id="next-page" href="#/pair/${period}/${home}/${treatment}?${new URLSearchParams([...active, ["page", entries.next], ["n", String(pageNo + 1)]])}">Next page 下一页 →</a>` : ""}</p>
    </div>`;
  document.getElementById("filters").addEventListener("submit", e => {
    e.preventDefault();
    const f = new FormData(e.target);
    const q = new URLSearchParams(FILTERS.map(k => [k, String(f.get(k) || "").trim()]).filter(([, v]) => v));
    location.hash = `#/pair/${period}/${home}/${treatment}${q.toString() ? "?" + q : ""}`;
  });
  document.getElementById("entries-csv").addEventListener("click", () =>
    download(`/periods/${period}/entries/csv?home=${home}&treatment=${treatment}${active.toString() ? "&" + active : ""}`, `entries-${period}-${home}-${treatment}.csv`));
  const csv = document.getElementById("statement-csv");
  if (csv) csv.addEventListener("click", () => download(`/periods/${period}/statements/${home}/${treatment}/csv`, `statement-${period}-${home}-${treatment}.csv`));
  const respond = document.getElementById("respond");
  if (respond) respond.addEventListener("submit", async e => {
    e.preventDefault();
    const f = new FormData(respond), action = e.submitter.value;
    const body = { side: f.get("side"), reason: f.get("reason") || null };
    if (action === "dispute") body.settlementIds = String(f.get("ids") || "").split(",").map(x => x.trim()).filter(Boolean);
    try { await api(`/periods/${period}/statements/${home}/${treatment}/${action}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }); render(); }
    catch (err) { document.getElementById("action-error").textContent = err.message; }
  });
}

async function renderSettlement(id) {
  const mine = generation;
  const data = await api(`/settlements/${encodeURIComponent(id)}`);
  const s = data.settlement, split = s.split || {};
  const parts = [["total", "Total 总费用"], ["fullSelfPay", "Full self-pay 全自费"], ["overLimitSelfPay", "Over-limit 超限价自费"], ["preSelfPay", "Pre-self-pay 先行自付"],
    ["inScope", "In scope 政策范围内"], ["deductible", "Deductible 起付线"], ["basicFund", "Basic fund 统筹基金"], ["supplementaryFund", "Supplementary 补充"],
    ["majorIllnessFund", "Major illness 大病保险"], ["assistanceFund", "Assistance 医疗救助"], ["accountPay", "Personal account 个人账户"], ["cashPay", "Cash 现金"]];
  if (mine !== generation) return;
  app.innerHTML = `
    <p><a href="javascript:history.back()">← Back 返回</a></p>
    <h1>Settlement 结算 ${esc(s.settlementId)} <span class="status ${esc(s.status)}">${esc(s.status)}</span></h1>
    <div class="grid2">
      <div class="card"><h2>Split 分割</h2><table id="split"><tbody>${parts.map(([k, l]) => `<tr><th>${l}</th>${num(split[k] || 0)}</tr>`).join("")}
        <tr><th>Ratio 比例</th><td class="num">${s.ratio ? (Number(s.ratio) * 100).toFixed(0) + "%" : ""}</td></tr></tbody></table>
        <p>${region(s.homeRegion)} → ${region(s.treatmentRegion)} · hospital ${esc(data.hospitalCode)} · member ${esc(s.memberId)} · pack ${esc(s.packId)} v${esc(s.packVersion)} · catalog ${esc(s.catalogVersion)}</p></div>
      <div class="card"><h2>Journal 分录</h2><table id="journal"><thead><tr><th>Entry</th><th>Period</th><th>Account 科目</th><th class="num">Debit 借</th><th class="num">Credit 贷</th></tr></thead><tbody>
        ${data.journal.map(j => j.lines.map(l => `<tr><td>${j.adjustment ? "refusal 拒付" : j.reversal ? "reversal 冲正" : "posting 记账"}</td><td>${esc(j.period)}</td><td>${esc(l.account)}</td>${num(l.debit)}${num(l.credit)}</tr>`).join("")).join("")}
      </tbody></table></div>
    </div>
    <div class="card"><h2>Explanation 计算说明</h2><table id="explanation"><thead><tr><th>Line 行</th><th>Step 步骤</th><th class="num">Amount 金额</th><th>Why 说明</th></tr></thead><tbody>
      ${(s.explanation || []).map(x => `<tr><td>${x.lineNo ?? ""}</td><td>${esc(x.code)}</td>${num(x.amount)}<td style="white-space:normal">${esc(x.text)}</td></tr>`).join("")}</tbody></table></div>`;
}

// Review after settlement 事后审核: the flagged settlements of the user's home region(s), accepted or refused (拒付) with a reason and an amount.
async function renderReviews(home) {
  const mine = generation;
  const me = user();
  const regions = (me && me.respondsFor) || [];
  if (!home) home = regions[0];
  if (!home) { app.innerHTML = `<div class="card" id="reviews"><h1>Review 事后审核</h1><p>Reviews are for a home region's clearing users 仅限参保地清算人员.</p></div>`; return; }
  const data = await api(`/reviews/${encodeURIComponent(home)}`);
  if (mine !== generation) return;
  const rules = i => i.rules.map(r => `<div><b>${esc(r.ruleId)}</b> ${esc(r.kind)}${r.lines.length ? " · lines " + esc(r.lines.join(", ")) : ""}: ${esc(r.text)}</div>`).join("");
  const decisions = i => i.decisions.map(d => `<div style="overflow-wrap:anywhere">${esc(d.decision)} ${money(d.amount)} · ${esc(d.by)} · ${esc(String(d.at).slice(0, 16).replace("T", " "))} UTC · ${esc(d.reason)}</div>`).join("");
  app.innerHTML = `<h1>Review 事后审核 · home ${region(home)}</h1>
    ${regions.length > 1 ? `<p>${regions.map(r => `<a href="#/reviews/${esc(r)}">${region(r)}</a>`).join(" · ")}</p>` : ""}
    <div class="card"><table id="reviews"><thead><tr><th>Settlement 结算</th><th>Treatment 就医地</th><th>Period 期间</th><th>Rules 规则</th><th class="num">Fund share 基金</th><th>Status 状态</th><th>Decision 决定</th></tr></thead><tbody>
    ${data.items.map(i => `<tr data-id="${esc(i.settlementId)}"><td><a href="#/settlement/${encodeURIComponent(i.settlementId)}">${esc(i.settlementId)}</a></td><td>${region(i.treatmentRegion)}</td><td>${esc(i.period)}</td>
      <td style="white-space:normal">${rules(i)}</td>${num(i.fundShare)}<td><span class="status ${esc(i.status)}">${esc(i.status)}</span></td>
      <td style="white-space:normal">${i.status === "flagged"
        ? `<form class="decide"><input name="reason" placeholder="Reason 理由" required maxlength="1000"> <input name="amount" placeholder="${money(i.fundShare)}" inputmode="decimal" size="9">
           <button type="submit" name="action" value="accept">Accept 通过</button> <button type="submit" name="action" value="refuse">Refuse 拒付</button> <span class="error"></span></form>`
        : decisions(i)}</td></tr>`).join("") || `<tr><td colspan="7">Nothing flagged 暂无</td></tr>`}
    </tbody></table></div>`;
  for (const form of app.querySelectorAll("form.decide")) {
    form.addEventListener("submit", async e => {
      e.preventDefault();
      const id = form.closest("tr").dataset.id, action = e.submitter.value;
      const body = { reason: form.reason.value };
      if (action === "refuse" && form.amount.value.trim()) body.amount = form.amount.value.trim();
      try { await api(`/reviews/${encodeURIComponent(home)}/${encodeURIComponent(id)}/${action}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }); render(); }
      catch (err) { form.querySelector(".error").textContent = err.message; }
    });
  }
}

async function renderReconciliations() {
  const mine = generation;
  const list = await api("/reconciliations");
  if (mine !== generation) return;
  app.innerHTML = `<h1>Hospital reconciliation 医院对账</h1>
    <div class="card"><table id="reconciliations"><thead><tr><th>Hospital 医院</th><th>From 起</th><th>To 止</th><th>Status 状态</th><th class="num">Count 笔数</th><th class="num">Total 总额</th><th class="num">Fund 基金</th><th class="num">Cash 现金</th><th>Differences 差异</th></tr></thead><tbody>
    ${list.map(r => `<tr class="${r.status === "matched" ? "" : "diff"}"><td>${esc(r.hospital)}</td><td>${esc(r.from)}</td><td>${esc(r.to)}</td><td><span class="status ${esc(r.status)}">${esc(r.status)}</span></td>
      <td class="num">${r.gateway.count}</td>${num(r.gateway.total)}${num(r.gateway.fund)}${num(r.gateway.cash)}
      <td style="white-space:normal">${r.differences.map(d => `<div class="diff"><b>${esc(d.kind)}</b> ${esc(d.hospitalSettlementId || "")} ${esc(d.detail)}</div>`).join("") || "—"}</td></tr>`).join("") || `<tr><td colspan="9">None yet 暂无</td></tr>`}
    </tbody></table></div>`;
}

// A region administrator (or an identity with no clearing role) sees who it is and nothing of the ledger.
function renderNoClearing(me) {
  for (const a of document.querySelectorAll("#nav a")) a.hidden = true;
  app.innerHTML = `<div class="card" id="no-clearing"><h1>${esc(me.name)}</h1>
    ${(me.administers || []).length
      ? `<p>Region administrator 地区管理员 of ${me.administers.map(region).join(", ")}: you import the member registry with
         <code>POST /api/v1/regions/{region}/members</code> (CSV or JSON). The clearing pages are for clearing staff 清算页面仅限清算人员.</p>`
      : `<p>No clearing role 无清算角色.</p>`}</div>`;
}

async function render() {
  generation++;
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean);
  if (!credentials() && !(parts[0] !== "signin" && await trySession())) { renderSignIn(); return; }
  if (!credentials()) return; // on the way to the sign-in of App Service Authentication
  const me = user();
  document.getElementById("nav").hidden = false;
  document.getElementById("who").textContent = me ? `${me.name} (${(me.grants || [me.role]).join(", ")})` : "";
  if (me && !me.canRead) { renderNoClearing(me); return; }
  for (const a of document.querySelectorAll("#nav a")) a.hidden = false;
  try {
    if (parts[0] === "signin") renderSignIn();
    else if (parts[0] === "pair") await renderPair(parts[1], parts[2], parts[3], query);
    else if (parts[0] === "settlement") await renderSettlement(decodeURIComponent(parts[1]));
    else if (parts[0] === "reconciliations") await renderReconciliations();
    else if (parts[0] === "reviews") await renderReviews(parts[1]);
    else await renderOverview(parts[0] === "period" ? parts[1] : null);
  } catch (err) {
    app.innerHTML = `<p class="error">${esc(err.message)}</p>`;
  }
}

document.getElementById("signout").addEventListener("click", signOut);
window.addEventListener("hashchange", render);
render();
