/**
 * The dashboard's one stylesheet, inlined in every page (no asset to fetch, no
 * build step). Light and dark follow the system; below 720 px wide, tables turn
 * into stacked cards so a phone never scrolls sideways.
 */
export const STYLE = `
:root { color-scheme: light dark; --bg: #f6f7f9; --card: #fff; --text: #1d2433; --muted: #667085; --line: #e3e6eb;
  --accent: #2453d4; --ok: #157f3d; --warn: #a15c00; --bad: #b42318; --info: #2453d4; --idle: #667085; }
@media (prefers-color-scheme: dark) { :root { --bg: #111418; --card: #1a1e24; --text: #e6e9ee; --muted: #98a2b3; --line: #2c323b;
  --accent: #7aa2ff; --ok: #4ade80; --warn: #fbbf24; --bad: #f87171; --info: #7aa2ff; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--text); }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
header.top { display: flex; align-items: center; gap: 16px; padding: 10px 20px; background: var(--card); border-bottom: 1px solid var(--line); flex-wrap: wrap; }
header.top .brand { font-weight: 700; font-size: 17px; color: var(--text); }
header.top nav { display: flex; gap: 14px; flex: 1; }
header.top form { margin: 0; }
main { max-width: 1200px; margin: 0 auto; padding: 20px; }
h1 { font-size: 22px; margin: 0 0 4px; word-break: break-all; } h2 { font-size: 17px; margin: 0 0 12px; }
section.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px; margin-bottom: 16px; }
.muted { color: var(--muted); } .abs { color: var(--muted); font-size: 12px; white-space: nowrap; }
.when time { white-space: nowrap; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 7px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.zero { color: var(--line); }
.scroll { overflow-x: auto; }
.badge { flex-shrink: 0; display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; border: 1px solid currentColor; white-space: nowrap; }
.s-completed { color: var(--ok); } .s-failed { color: var(--bad); } .s-terminated { color: var(--bad); }
.s-running, .s-queued { color: var(--info); } .s-waiting, .s-sleeping, .s-retrying { color: var(--warn); } .s-paused { color: var(--idle); }
.tag { display: inline-block; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 0 6px; font-size: 12px; margin: 1px 2px 1px 0; }
form.filters { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 12px; align-items: end; }
form.filters fieldset { grid-column: 1 / -1; border: 0; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 4px 14px; }
label { display: block; font-size: 13px; color: var(--muted); }
label.check { display: inline-flex; gap: 5px; align-items: center; color: var(--text); font-size: 14px; }
input[type=text], input[type=password], input[type=datetime-local], input[type=number], select, textarea {
  width: 100%; margin-top: 3px; padding: 7px 9px; border: 1px solid var(--line); border-radius: 7px; background: var(--card); color: var(--text); font: inherit; }
textarea { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; min-height: 140px; }
button, .button { display: inline-block; padding: 7px 14px; border-radius: 7px; border: 1px solid var(--accent); background: var(--accent); color: #fff;
  font: inherit; font-weight: 600; cursor: pointer; text-decoration: none; }
.button.secondary, button.secondary { background: transparent; color: var(--accent); }
.button.danger, button.danger { background: var(--bad); border-color: var(--bad); }
.actions { display: flex; flex-wrap: wrap; gap: 8px; }
.pager { display: flex; justify-content: space-between; margin-top: 12px; }
.notice { padding: 10px 14px; border-radius: 8px; margin-bottom: 16px; border: 1px solid; }
.notice.ok { color: var(--ok); } .notice.bad { color: var(--bad); } .notice.info { color: var(--info); }
.notice ul { margin: 6px 0 0; padding-left: 20px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; margin: 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; min-width: 0; word-break: break-word; }
ol.timeline { list-style: none; margin: 0; padding: 0; }
ol.timeline > li { border-left: 3px solid var(--line); padding: 4px 0 12px 14px; position: relative; }
ol.timeline > li::before { content: ""; position: absolute; left: -8px; top: 9px; width: 13px; height: 13px; border-radius: 50%; background: var(--card); border: 3px solid var(--line); }
ol.timeline > li.completed::before { border-color: var(--ok); } ol.timeline > li.failed::before { border-color: var(--bad); }
ol.timeline > li.running::before { border-color: var(--info); } ol.timeline > li.waiting::before, ol.timeline > li.sleeping::before, ol.timeline > li.retrying::before { border-color: var(--warn); }
.step-head { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: baseline; }
.step-head .name { font-weight: 600; word-break: break-word; }
.step-meta { font-size: 13px; color: var(--muted); display: flex; flex-wrap: wrap; gap: 2px 14px; margin-top: 2px; }
.error { color: var(--bad); font-size: 13px; margin-top: 4px; word-break: break-word; }
.error code { color: inherit; font-weight: 600; }
details.json summary { cursor: pointer; color: var(--accent); font-size: 13px; margin-top: 4px; }
pre { background: var(--bg); border: 1px solid var(--line); border-radius: 7px; padding: 10px; overflow-x: auto; font-size: 12px; margin: 6px 0 0; max-height: 420px; }
.login { max-width: 420px; margin: 12vh auto 0; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.refresh { font-size: 12px; color: var(--muted); }
@media (max-width: 720px) {
  main { padding: 12px; } header.top { padding: 8px 12px; gap: 10px; flex-wrap: nowrap; } .grid2 { grid-template-columns: 1fr; }
  header.top nav { gap: 10px; } header.top .access { display: none; } header.top button { padding: 4px 10px; font-size: 13px; }
  table.stack thead { display: none; }
  table.stack tr { display: block; border-bottom: 1px solid var(--line); padding: 8px 0; }
  table.stack td { display: flex; align-items: flex-start; gap: 10px; border: 0; padding: 2px 0; text-align: left; }
  table.stack td::before { content: attr(data-label); color: var(--muted); font-size: 12px; min-width: 82px; flex-shrink: 0; padding-top: 1px; }
  table.stack td.primary::before { content: none; } table.stack td.primary { display: block; font-weight: 600; word-break: break-all; }
  dl.facts { grid-template-columns: 1fr; gap: 0; } dl.facts dd { margin-bottom: 8px; }
}
/* The waterfall of an instance's steps (waterfall.tsx). */
.waterfall { margin: 4px 0 14px; font-size: 13px; }
.wf-row { display: grid; grid-template-columns: minmax(90px, 22%) 1fr; gap: 10px; align-items: center; min-height: 22px; }
.wf-label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.wf-track { position: relative; height: 16px; background: var(--bg); border-radius: 4px; }
.wf-axis .wf-track { background: none; height: 18px; border-bottom: 1px solid var(--line); }
.wf-tick { position: absolute; top: 0; transform: translateX(-50%); color: var(--muted); font-size: 11px; white-space: nowrap; }
.wf-tick:first-child { transform: none; } .wf-tick:last-child { transform: translateX(-100%); }
.wf-bar { position: absolute; top: 2px; height: 12px; border-radius: 3px; background: currentColor; opacity: .85; }
.wf-bar.open { opacity: .5; background: repeating-linear-gradient(45deg, currentColor 0 6px, transparent 6px 10px); }
.wf-attempt { top: 4px; height: 8px; opacity: 1; }
`;
