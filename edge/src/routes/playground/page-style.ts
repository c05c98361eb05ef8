/** The playground's stylesheet: system fonts, one accent, light and dark, one column when narrow. */
export const PAGE_STYLE = `
:root {
  color-scheme: light dark;
  --bg: #f7f7f8; --panel: #ffffff; --text: #1b1c1f; --muted: #5b5f68; --line: #d7d9de;
  --accent: #3b5bdb; --accent-text: #ffffff; --danger: #b3261e; --ok: #1e7a3c;
  --radius: 8px;
  font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #15161a; --panel: #1e2026; --text: #e8e9ec; --muted: #a3a7b1; --line: #363944;
          --accent: #8ea2ff; --accent-text: #0d0f14; --danger: #ff8a80; --ok: #7ad69a; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: baseline; justify-content: space-between;
         padding: .75rem 1.25rem; border-bottom: 1px solid var(--line); background: var(--panel); }
header h1 { font-size: 1.15rem; margin: 0; }
header p { margin: 0; color: var(--muted); font-size: .9rem; }
#credits { font-variant-numeric: tabular-nums; }
main { display: grid; gap: 1.25rem; padding: 1.25rem; max-width: 76rem; margin: 0 auto;
       grid-template-columns: minmax(0, 1fr); align-items: start; }
@media (min-width: 56rem) { main { grid-template-columns: minmax(18rem, 24rem) minmax(0, 1fr); } }
section, form { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); padding: 1rem; min-width: 0; }
h2 { font-size: 1rem; margin: 0 0 .75rem; }
label { display: block; font-weight: 600; font-size: .85rem; margin-bottom: .25rem; }
.field { margin-bottom: .8rem; }
.hint { color: var(--muted); font-size: .8rem; font-weight: 400; }
input, select, textarea, button { font: inherit; color: inherit; }
input, select, textarea { width: 100%; padding: .45rem .55rem; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); }
textarea { resize: vertical; min-height: 4.5rem; }
fieldset { border: 0; padding: 0; margin: 0; display: grid; gap: 0 .75rem; grid-template-columns: repeat(2, minmax(0, 1fr)); }
legend { font-weight: 600; font-size: .85rem; margin-bottom: .5rem; padding: 0; }
.key-row { display: flex; gap: .5rem; }
.check { align-self: end; }
.check input { width: auto; margin: 0 .35rem 0 0; vertical-align: middle; }
.key-row input { flex: 1; min-width: 0; }
button { padding: .5rem .9rem; border-radius: 6px; border: 1px solid var(--line); background: var(--bg); cursor: pointer; }
button.primary { background: var(--accent); color: var(--accent-text); border-color: var(--accent); font-weight: 600; }
button:disabled { opacity: .55; cursor: not-allowed; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.actions { display: flex; gap: .5rem; flex-wrap: wrap; }
progress { width: 100%; height: .9rem; accent-color: var(--accent); }
#status { margin: .4rem 0 0; min-height: 1.45em; font-variant-numeric: tabular-nums; }
#error { color: var(--danger); margin: .5rem 0 0; }
#error:empty { display: none; }
.meta { color: var(--muted); font-size: .85rem; margin: .5rem 0 0; }
#images { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(min(100%, 14rem), 1fr)); margin-top: 1rem; }
#images:empty { display: none; }
#images.single { grid-template-columns: minmax(0, 32rem); }
figure { margin: 0; }
figure img { display: block; width: 100%; height: auto; border-radius: 6px; border: 1px solid var(--line); background: var(--bg); }
figure img.small { image-rendering: pixelated; }
figcaption { font-size: .85rem; color: var(--muted); margin-top: .35rem; display: flex; justify-content: space-between; gap: .5rem; flex-wrap: wrap; }
a { color: var(--accent); }
#recent ol { list-style: none; margin: 0; padding: 0; }
#recent li + li { border-top: 1px solid var(--line); }
#recent button { width: 100%; text-align: left; border: 0; background: none; padding: .5rem .25rem; display: grid;
                 grid-template-columns: 5.5rem minmax(0, 1fr) auto; gap: .75rem; align-items: baseline; }
#recent .prompt { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
#recent .when { color: var(--muted); font-size: .8rem; font-variant-numeric: tabular-nums; }
.badge { font-size: .75rem; padding: .05rem .4rem; border-radius: 999px; border: 1px solid var(--line); text-align: center; }
.badge.succeeded { color: var(--ok); border-color: currentColor; }
.badge.failed, .badge.canceled { color: var(--danger); border-color: currentColor; }
.results { display: grid; gap: 1.25rem; align-content: start; min-width: 0; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (prefers-reduced-motion: reduce) { * { transition: none !important; animation: none !important; } }
`;
