// The report's inline style sheet.
export const CSS = `
:root{--bg:#f4f6f9;--card:#fff;--ink:#0f172a;--ink2:#334155;--muted:#64748b;--line:#e2e8f0;--line2:#cbd5e1;
--pass:#15803d;--pass-bg:#dcfce7;--fail:#b91c1c;--fail-bg:#fee2e2;--unk:#a16207;--unk-bg:#fef3c7;--skip:#475569;--skip-bg:#e2e8f0;
--sans:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue","Noto Sans","Liberation Sans",Arial,sans-serif;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 var(--sans)}
.container{max-width:1320px;margin:0 auto;padding:0 24px}
code{font-family:var(--mono);font-size:12.5px;background:#f1f5f9;border-radius:4px;padding:1px 4px}
a{color:#1d4ed8;text-decoration:none}a:hover{text-decoration:underline}
h1{font-size:22px;margin:2px 0 10px;font-weight:650;letter-spacing:-.01em}
h2{font-size:17px;margin:0;font-weight:650}
h3{font-size:13px;margin:18px 0 8px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);font-weight:650}
header.top{background:#0f172a;color:#e2e8f0;padding:22px 0 18px;border-bottom:3px solid #1e293b}
.top-inner{display:flex;justify-content:space-between;align-items:flex-start;gap:24px}
.eyebrow{font-size:12px;text-transform:uppercase;letter-spacing:.12em;color:#94a3b8}
header.top h1{color:#f8fafc}
.meta{display:flex;flex-wrap:wrap;gap:6px 28px;margin:0}
.meta div{display:flex;flex-direction:column}
.meta dt{font-size:11px;text-transform:uppercase;letter-spacing:.08em;color:#94a3b8}
.meta dd{margin:0;font-family:var(--mono);font-size:13px;color:#f1f5f9}
.verdict-block{display:flex;flex-direction:column;align-items:flex-end;gap:8px;padding-top:4px}
.tally{font-size:13px;color:#cbd5e1;white-space:nowrap}
.pill{display:inline-block;font-size:11px;font-weight:700;letter-spacing:.06em;padding:2px 8px;border-radius:999px;line-height:18px;white-space:nowrap}
.pill.big{font-size:20px;padding:6px 22px;line-height:28px;letter-spacing:.1em}
.pill.pass{background:var(--pass-bg);color:var(--pass)}.pill.fail{background:var(--fail-bg);color:var(--fail)}
.pill.unknown,.pill.warn{background:var(--unk-bg);color:var(--unk)}.pill.skipped{background:var(--skip-bg);color:var(--skip)}
header .pill.pass{background:#16a34a;color:#fff}header .pill.fail{background:#dc2626;color:#fff}header .pill.unknown{background:#d97706;color:#fff}header .pill.skipped{background:#64748b;color:#fff}
.toc{display:flex;flex-wrap:wrap;gap:6px;margin:16px 0}
.toc a{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:3px 10px;font-size:13px;color:var(--ink2)}
.toc a.nav-scenario{font-weight:650;color:var(--ink)}
.dot{display:inline-block;width:8px;height:8px;border-radius:50%;margin-right:6px;vertical-align:1px}
.dot.pass{background:#16a34a}.dot.fail{background:#dc2626}.dot.unknown{background:#d97706}.dot.skipped{background:#94a3b8}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 22px 16px;margin:0 0 18px;box-shadow:0 1px 2px rgba(15,23,42,.04)}
.card.scenario{border-top:4px solid #334155}
.card-head{display:flex;align-items:center;gap:12px;flex-wrap:wrap}
.card-head .muted{font-size:13px}
.lead{margin:6px 0 12px;color:var(--ink2)}
.muted{color:var(--muted)}
.fine{font-size:12.5px;color:var(--muted);margin:10px 0 0}
.callout{border-radius:8px;padding:9px 14px;margin:12px 0;font-size:13.5px;border:1px solid}
.callout.pass{background:#f0fdf4;border-color:#bbf7d0;color:#14532d}
.callout.fail{background:#fef2f2;border-color:#fecaca;color:#7f1d1d}
.callout.unknown,.callout.note{background:#fffbeb;border-color:#fde68a;color:#78350f}
.callout ul{margin:4px 0 0;padding-left:20px}
.callout.skipped{background:#f8fafc;border-color:var(--line);color:var(--ink2)}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:12px;margin:14px 0 4px}
.tile{border:1px solid var(--line);border-radius:8px;padding:10px 14px;background:#fbfcfd;border-left:4px solid var(--line2)}
.tile.good{border-left-color:#16a34a}.tile.bad{border-left-color:#dc2626;background:#fffafa}
.tile-label{font-size:12.5px;font-weight:600;color:var(--muted)}
.tile-value{font-size:24px;font-weight:650;font-variant-numeric:tabular-nums;margin:2px 0}
.tile-sub{font-size:12px;color:var(--muted)}
.two-col{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:28px}
@media (max-width:1000px){.two-col{grid-template-columns:1fr}.top-inner{flex-direction:column}.verdict-block{align-items:flex-start}}
table.grid{border-collapse:collapse;width:100%;font-size:13px}
.grid th,.grid td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
.grid thead th{font-size:11.5px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);font-weight:600;border-bottom:1px solid var(--line2)}
.grid tbody th{font-weight:600;color:var(--ink2);white-space:nowrap}
.grid .num{text-align:right;font-variant-numeric:tabular-nums;font-family:var(--mono);font-size:12.5px;white-space:nowrap}
.grid td.bound{color:var(--muted);font-size:12px;white-space:nowrap}
.scroll{overflow-x:auto}
.grid tr.override th,.grid tr.override td{background:#fffbeb}
.tag{display:inline-block;font-family:var(--sans);font-size:10px;font-weight:700;letter-spacing:.05em;text-transform:uppercase;color:#92400e;background:#fde68a;border-radius:4px;padding:0 5px;margin-left:6px}
.grid.kv th{width:38%;font-family:var(--mono);font-weight:500;font-size:12.5px}
.grid.kv td{font-family:var(--mono);font-size:12.5px;word-break:break-all}
.grid.checks td.explain{color:var(--ink2);font-size:12.5px}
.grid.checks th{width:1%}.grid.checks td:first-child{width:1%}
.grid.events td{font-size:12px}.grid.events td:last-child{font-family:var(--mono);color:var(--ink2);word-break:break-all}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:8px;vertical-align:-1px}
.findings{margin:6px 0 0;padding-left:0;list-style:none}.findings li{margin:4px 0;font-size:13.5px}
.chips{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0}
.chip{display:inline-flex;gap:8px;align-items:baseline;border:1px solid var(--line);border-radius:6px;padding:3px 10px;font-size:12.5px;background:#fbfcfd}
.chip span{color:var(--muted)}.chip strong{font-variant-numeric:tabular-nums;font-weight:650}
.chip.good{border-color:#bbf7d0;background:#f0fdf4}.chip.bad{border-color:#fecaca;background:#fef2f2;color:#991b1b}
.timeline-wrap{border:1px solid var(--line);border-radius:8px;overflow:hidden;background:#fff}
svg{display:block;width:100%;height:auto;font-family:var(--sans)}
svg text{font-size:11px;fill:var(--ink2)}
svg .row-label{font-size:12px;font-weight:650;fill:var(--ink)}
svg .row-sub{font-size:10.5px;fill:var(--muted)}
svg .tick{font-size:10.5px;fill:var(--muted);font-variant-numeric:tabular-nums}
svg .axis-title{font-size:10.5px;fill:var(--muted);font-style:italic}
svg .zebra{fill:#f8fafc}
svg .gutter{stroke:var(--line2)}
svg .grid-line{stroke:#e9edf2;stroke-width:1}
svg .zero-line{stroke:#b91c1c;stroke-width:1.5}
svg .fault-window{fill:#ef4444;fill-opacity:.07}
svg .heal-window{fill:#64748b;fill-opacity:.06}
svg .fault-bar{fill:#b91c1c;fill-opacity:.35}
svg .leader{stroke-width:1;stroke-opacity:.45}
svg .ev-label{font-size:11px}
svg .ev-label.key{font-weight:700}
svg .mark{stroke:#fff;stroke-width:1.2}
svg .seg-label{font-size:10px;fill:#fff;font-weight:600}
svg .split{fill:#dc2626}
svg .alert{fill:#ea580c}
svg .alert.open{fill-opacity:.55}
svg .lost-label{font-size:11px;font-weight:650;fill:#111827}
svg .lost-label.inv{fill:#fff}
svg .fo-label{font-size:11px;font-weight:650;fill:var(--ink)}
svg .fo-label.inv{fill:#fff}
svg .band{fill:#16a34a;fill-opacity:.08}
svg .band-label{font-size:10.5px;fill:#15803d}
svg .bound{stroke:#dc2626;stroke-width:1.5;stroke-dasharray:5 3}
svg .bound-label{font-size:10.5px;fill:#b91c1c;font-weight:600}
svg .bound-label.off{fill:#94a3b8;font-weight:500}
svg .track-bg{fill:#eef2f6}
svg .outage{fill:none;stroke:#475569;stroke-width:1.2}
svg .outage-label{font-size:10.5px;fill:#334155}
svg .muted-text{fill:var(--muted);font-style:italic}
svg .axis{stroke:var(--line2)}
svg .track{stroke:var(--line)}
svg .range{stroke:#94a3b8;stroke-width:3;stroke-linecap:round}
svg .q-median{stroke:#0f172a;stroke-width:2.5}
svg .q-p95{stroke:#0f172a;stroke-width:1.2;stroke-dasharray:2 2}
svg .q-label{font-size:10.5px;fill:var(--muted)}
svg .dot-pass{fill:#16a34a;fill-opacity:.85;stroke:#fff;stroke-width:1.2}
svg .dot-fail{fill:#dc2626;fill-opacity:.9;stroke:#fff;stroke-width:1.2}
svg .dot-unknown{fill:#d97706;stroke:#fff;stroke-width:1.2}
svg .dot-skipped{fill:#94a3b8;stroke:#fff;stroke-width:1.2}
.dist{max-width:680px}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:12px;color:var(--muted);margin:8px 2px 0}
.legend span{display:inline-flex;align-items:center;gap:6px}
.legend .mk{display:inline-block;width:9px;height:9px;border-radius:50%}
.legend .sq{display:inline-block;width:12px;height:9px;border-radius:2px}
.legend .sq.fault{background:#ef4444;opacity:.25}
.legend .sq.recovery{background:none;border-left:2px dashed #0d9488;width:2px;border-radius:0}
svg .recovery-line{stroke:#0d9488;stroke-width:1.5;stroke-dasharray:4 3}
details{margin-top:10px;font-size:13px}
details.more{margin-top:4px;word-break:break-all}details.more summary{font-weight:500;font-size:12px}
summary{cursor:pointer;color:var(--ink2);font-weight:600;padding:4px 0}
details table{margin-top:6px}
.env{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:4px 28px}
@media (max-width:1000px){.env{grid-template-columns:1fr}}
footer{font-size:12px;color:var(--muted);text-align:center;padding:8px 0 32px}
@media print{body{background:#fff}.card{box-shadow:none;break-inside:avoid}.toc{display:none}header.top{background:#fff;color:#000}}
`;
